#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>

#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"

namespace tp0::testing {
namespace {

class LotteryIntegration : public ::testing::TestWithParam<const char*> {
 protected:
  Environment server_environment(std::uint32_t agencies) const {
    return {{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", std::to_string(agencies)}};
  }
};

// Line numbers, in the server's output, of the first and last line containing `needle`.
std::pair<std::size_t, std::size_t> span_of(const std::vector<std::string>& lines,
                                            const std::string& needle) {
  std::size_t first = lines.size();
  std::size_t last = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(needle) == std::string::npos) continue;
    first = std::min(first, i);
    last = i;
  }
  return {first, last};
}

TEST_P(LotteryIntegration, SingleBetIsStoredAndAcknowledged) {
  Cluster cluster;
  auto& server = cluster.start_server(server_environment(1));
  auto& client = cluster.start_client(1, {{"CLI_MODE", "bet"},
                                          {"NOMBRE", "Santiago Lionel"},
                                          {"APELLIDO", "Lorca"},
                                          {"DOCUMENTO", "30904465"},
                                          {"NACIMIENTO", "1999-03-17"},
                                          {"NUMERO", "7574"}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  EXPECT_EQ(
      client.lines_containing("action: apuesta_enviada | result: success | dni: 30904465 | numero: 7574")
          .size(),
      1u);
  ASSERT_TRUE(server.wait_for_line(
      "action: apuesta_almacenada | result: success | dni: 30904465 | numero: 7574", kStartTimeout));
  EXPECT_EQ(read_file(cluster.bets_path()), "1,Santiago Lionel,Lorca,30904465,1999-03-17,7574\n");
}

// A round of no agencies is drawn at start, over no bets, and nobody takes part in it.
TEST_P(LotteryIntegration, WithNoAgenciesTheDrawIsHeldAtStartAndNobodyTakesPart) {
  Cluster cluster;
  auto& server = cluster.start_server(server_environment(0));
  ASSERT_TRUE(server.wait_for_line("action: sorteo | result: success", kStartTimeout)) << server.output();
  const auto data = write_agency_file(cluster.dir().file("agency-1.csv"), 1, 20, 2);
  auto& client = cluster.start_client(1, {{"CLI_DATA_FILE", data.path}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 1) << client.output();
  EXPECT_NE(client.output().find("not one of the round's"), std::string::npos) << client.output();
  EXPECT_TRUE(bets_per_agency(cluster.bets_path()).empty());
  EXPECT_EQ(server.lines_containing("action: sorteo").size(), 1u) << server.output();
}

TEST_P(LotteryIntegration, InvalidSingleBetIsRefusedAndNotStored) {
  Cluster cluster;
  cluster.start_server(server_environment(1));
  auto& client = cluster.start_client(1, {{"CLI_MODE", "bet"},
                                          {"NOMBRE", "Ana"},
                                          {"APELLIDO", "Paz"},
                                          {"DOCUMENTO", "12x"},
                                          {"NACIMIENTO", "1999-03-17"},
                                          {"NUMERO", "12"}});
  EXPECT_EQ(client.wait_exit(kRunTimeout), 1);
  EXPECT_NE(client.output().find("document"), std::string::npos) << client.output();
  EXPECT_EQ(read_file(cluster.bets_path()), "");
}

TEST_P(LotteryIntegration, BatchesAreFullButTheLastAndSumToTheFile) {
  Cluster cluster;
  auto& server = cluster.start_server(server_environment(1));
  const auto data = write_agency_file(cluster.dir().file("agency-1.csv"), 1, 99, 3);
  auto& client = cluster.start_client(
      1, {{"CLI_MODE", "batch"}, {"CLI_DATA_FILE", data.path}, {"CLI_BATCH_MAXAMOUNT", "10"}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  ASSERT_TRUE(server.wait_for_lines("action: apuesta_recibida", 10, kStartTimeout)) << server.output();
  const auto batches = server.lines_containing("action: apuesta_recibida | result: success");
  ASSERT_EQ(batches.size(), 10u);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(field_of(batches[i], "cantidad"), i + 1 < batches.size() ? "10" : "9");
  }
  EXPECT_EQ(bets_per_agency(cluster.bets_path()), (std::map<std::uint32_t, std::size_t>{{1, 99}}));
}

// SERVER_MAX_BETS_PER_AGENCY: the batch that would take the agency past it is refused with
// code 9 and logged, the batches within it stay stored, and the client says what limit it
// met and exits 1 instead of trying again.
TEST_P(LotteryIntegration, AnAgencyPastTheServersLimitIsRefusedAndItsClientExitsNamingIt) {
  Cluster cluster;
  Environment settings = server_environment(1);
  settings["SERVER_MAX_BETS_PER_AGENCY"] = "25";
  auto& server = cluster.start_server(settings);
  const auto data = write_agency_file(cluster.dir().file("agency-1.csv"), 1, 40, 2);
  auto& client = cluster.start_client(1, {{"CLI_DATA_FILE", data.path}, {"CLI_BATCH_MAXAMOUNT", "10"}});
  EXPECT_EQ(client.wait_exit(kRunTimeout), 1) << client.output();
  EXPECT_EQ(client.lines_containing("SERVER_MAX_BETS_PER_AGENCY").size(), 1u) << client.output();
  EXPECT_TRUE(client.lines_containing("action: connect | result: in_progress").empty()) << "retried";
  ASSERT_TRUE(
      server.wait_for_line("action: apuesta_recibida | result: fail | cantidad: 10 | agency: 1 | error: the "
                           "agency has stored as many bets as the server allows: 20 + 10 would pass 25",
                           kStartTimeout))
      << server.output();
  EXPECT_EQ(bets_per_agency(cluster.bets_path()), (std::map<std::uint32_t, std::size_t>{{1, 20}}));
}

TEST_P(LotteryIntegration, NoBatchFrameExceedsEightKilobytesWhateverMaxAmountSays) {
  Cluster cluster;
  auto& server = cluster.start_server(server_environment(1));
  const auto data = write_agency_file(cluster.dir().file("agency-1.csv"), 1, 2000, 1);
  auto& client = cluster.start_client(
      1, {{"CLI_MODE", "batch"}, {"CLI_DATA_FILE", data.path}, {"CLI_BATCH_MAXAMOUNT", "100000"}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  // Every generated bet takes at least 31 bytes on the wire (15 + a 4-byte first name,
  // a 4-byte last name and an 8-digit document), and a batch frame has 11 bytes of header.
  constexpr std::size_t kSmallestBet = 31;
  const auto batches = server.lines_containing("action: apuesta_recibida | result: success");
  std::size_t total = 0;
  for (const auto& line : batches) {
    const std::size_t count = std::stoul(field_of(line, "cantidad"));
    EXPECT_LE(11 + count * kSmallestBet, 8192u) << line;
    total += count;
  }
  EXPECT_EQ(total, 2000u);
  EXPECT_TRUE(server.lines_containing("result: fail").empty()) << server.output();
}

TEST_P(LotteryIntegration, InvalidRowsAreReportedSkippedAndTheRestStored) {
  Cluster cluster;
  cluster.start_server(server_environment(1));
  const std::string path = cluster.dir().file("agency-1.csv");
  write_file(path,
             "Ana,Paz,100,1990-01-01,12\r\n"
             "Ana,Paz,101,1990-02-30,13\r\n"  // not a real date
             "Ana,Paz,102,1990-01-01,7574\r\n"
             "Ana,Paz,abc,1990-01-01,14\r\n"     // document not numeric
             "Ana,Paz,104,1990-01-01,99999\r\n"  // number out of range
             "Ana,Paz,105,1990-01-01\r\n");      // a field missing
  auto& client = cluster.start_client(1, {{"CLI_MODE", "lottery"}, {"CLI_DATA_FILE", path}});
  EXPECT_EQ(client.wait_exit(kRunTimeout), 1) << client.output();
  const auto rejected = client.lines_containing("action: read_bet | result: fail");
  ASSERT_EQ(rejected.size(), 4u) << client.output();
  EXPECT_EQ(field_of(rejected[0], "line"), "2");
  EXPECT_EQ(field_of(rejected[3], "line"), "6");
  EXPECT_EQ(client.lines_containing("consulta_ganadores | result: success | cant_ganadores: 1").size(), 1u);
  EXPECT_EQ(bets_per_agency(cluster.bets_path()), (std::map<std::uint32_t, std::size_t>{{1, 2}}));
}

// The agencies that finished wait, without their winners, until the last one finishes;
// then the draw is held once, after every batch, and each agency learns only its own.
TEST_P(LotteryIntegration, TheDrawWaitsForTheLastAgencyThenEachLearnsOnlyItsOwnWinners) {
  Cluster cluster;
  auto& server = cluster.start_server(server_environment(3));
  const std::size_t winners[] = {2, 0, 5};
  std::vector<AgencyData> agencies;
  const auto start = [&](std::uint32_t id) {
    const std::size_t bets = std::size_t{500} * id;
    agencies.push_back(start_agency(cluster, id, bets, winners[id - 1], {{"CLI_BATCH_MAXAMOUNT", "64"}}));
  };
  start(1);
  start(2);
  ASSERT_TRUE(server.wait_for_lines("action: agency_finished", 2, kRunTimeout)) << server.output();
  EXPECT_TRUE(server.lines_containing("action: sorteo").empty());
  for (std::uint32_t id = 1; id <= 2; ++id) {
    EXPECT_TRUE(cluster.client(id).running()) << "agency " << id << " must still be waiting";
    EXPECT_TRUE(cluster.client(id).lines_containing("consulta_ganadores").empty());
  }
  start(3);
  expect_round_complete(cluster, agencies);
  const auto lines = split_lines(server.output());
  const auto [first_draw, last_draw] = span_of(lines, "action: sorteo | result: success");
  ASSERT_EQ(server.lines_containing("action: sorteo").size(), 1u) << server.output();
  const auto [first_batch, last_batch] = span_of(lines, "action: apuesta_recibida");
  EXPECT_LT(last_batch, first_draw) << "every batch is stored before the draw";
  EXPECT_TRUE(server.lines_containing("result: fail").empty()) << server.output();
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(kRunTimeout), 0);
}

INSTANTIATE_TEST_SUITE_P(Concurrency, LotteryIntegration, ::testing::Values("sequential", "process"));

TEST(ConfigurationErrors, BadSettingIsOneLineNamingTheKeyAndExitCodeOne) {
  TempDir dir;
  Process server(TP0_SERVER_BIN, {{"SERVER_PORT", "70000"}}, dir.path(), dir.file("server.log"));
  EXPECT_EQ(server.wait_exit(kRunTimeout), 1);
  EXPECT_NE(server.output().find("SERVER_PORT"), std::string::npos) << server.output();
  EXPECT_EQ(split_lines(server.output()).size(), 1u) << server.output();

  Process client(TP0_CLIENT_BIN, {{"CLI_ID", "1"}, {"CLI_LOOP_PERIOD", "soon"}}, dir.path(),
                 dir.file("client.log"));
  EXPECT_EQ(client.wait_exit(kRunTimeout), 1);
  EXPECT_NE(client.output().find("CLI_LOOP_PERIOD"), std::string::npos) << client.output();
  EXPECT_EQ(split_lines(client.output()).size(), 1u) << client.output();

  Process anonymous(TP0_CLIENT_BIN, {}, dir.path(), dir.file("anonymous.log"));
  EXPECT_EQ(anonymous.wait_exit(kRunTimeout), 1);
  EXPECT_NE(anonymous.output().find("CLI_ID"), std::string::npos) << anonymous.output();
}

// Lottery mode speaks TLS by default: started where no certificate is, each program says
// in one line which setting names the missing file.
TEST(ConfigurationErrors, AMissingCertificateIsOneLineNamingItsSettingAndExitCodeOne) {
  TempDir dir;
  Process server(TP0_SERVER_BIN, {}, dir.path(), dir.file("server.log"));
  EXPECT_EQ(server.wait_exit(kRunTimeout), 1);
  EXPECT_NE(server.output().find("SERVER_TLS_CERT"), std::string::npos) << server.output();
  EXPECT_EQ(split_lines(server.output()).size(), 1u) << server.output();

  Process client(TP0_CLIENT_BIN, {{"CLI_ID", "1"}}, dir.path(), dir.file("client.log"));
  EXPECT_EQ(client.wait_exit(kRunTimeout), 1);
  EXPECT_NE(client.output().find("tls.cert (CLI_TLS_CERT)"), std::string::npos) << client.output();
  EXPECT_EQ(split_lines(client.output()).size(), 1u) << client.output();
}

// Plain text is each program's choice at start, and each says what it costs.
TEST(PlainText, EachProgramWarnsAtStartThatBetsCrossInClear) {
  Cluster cluster;
  Process& server = cluster.start_server({{"SERVER_TLS", "off"}, {"SERVER_AGENCIES", "1"}});
  start_agency(cluster, 1, 10, 1, {{"CLI_TLS", "off"}});
  expect_served(cluster, 1, 1);
  EXPECT_EQ(server.lines_containing("warning: SERVER_TLS=off").size(), 1u) << server.output();
  EXPECT_EQ(cluster.client(1).lines_containing("warning: CLI_TLS=off").size(), 1u)
      << cluster.client(1).output();
}

}  // namespace
}  // namespace tp0::testing
