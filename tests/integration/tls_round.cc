#include "tests/integration/tls_round.h"

#include <stdexcept>

#include "tests/integration/agency_data.h"

namespace tp0::testing {

TlsRound::TlsRound() : pki_(cluster_.dir().file("pki"), {1, 2, 3, kOutsider}) {}

lottery::Bet TlsRound::bet_of(std::uint32_t agency, int i) {
  return lottery::Bet{agency, "Eva", "Mallory", std::to_string(40'000'000 + i), "1990-05-17",
                      static_cast<std::uint16_t>(7574)};
}

Process& TlsRound::start_server(Environment environment) {
  environment.emplace("SERVER_CONCURRENCY", GetParam());
  environment.emplace("SERVER_AGENCIES", std::to_string(kAgencies));
  environment.merge(pki_.server_environment());
  return cluster_.start_server(std::move(environment));
}

SslEnd TlsRound::peer(const std::optional<tls::Credentials>& identity) const {
  return tls_peer(cluster_.port(), identity, pki_.authority());
}

SslEnd TlsRound::agency_peer(std::uint32_t agency) const {
  SslEnd end = peer(pki_.agency(agency));
  if (!end.handshake()) throw std::runtime_error("agency " + std::to_string(agency) + "'s peer: " + end.error());
  return end;
}

void TlsRound::start_honest_agencies() {
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    const auto data = write_agency_file(cluster_.dir().file("agency-" + std::to_string(id) + ".csv"), id, kBets,
                                        winners_of(id));
    Environment environment = TestPki::client_environment(pki_.agency(id));
    environment.emplace("CLI_DATA_FILE", data.path);
    environment.emplace("CLI_BATCH_MAXAMOUNT", "25");
    cluster_.start_client(id, environment);
  }
}

void TlsRound::expect_honest_round_completed() {
  Process& server = cluster_.server();
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    Process& client = cluster_.client(id);
    ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output() << server.output();
    EXPECT_EQ(client.lines_containing("action: consulta_ganadores | result: success | cant_ganadores: " +
                                      std::to_string(winners_of(id)))
                  .size(),
              1u)
        << client.output();
    EXPECT_TRUE(client.lines_containing("result: fail").empty()) << client.output();
  }
  const auto stored = bets_per_agency(cluster_.bets_path());
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    EXPECT_EQ(stored.count(id) == 0 ? 0 : stored.at(id), kBets) << "agency " << id;
  }
  EXPECT_EQ(stored.size(), std::size_t{kAgencies}) << "bets of an agency outside the round were stored";
  EXPECT_EQ(server_lines("action: sorteo | result: success"), 1u) << server.output();
  // The draw after every batch: no line of a stored batch follows it.
  const auto lines = split_lines(server.output());
  bool drawn = false;
  for (const auto& line : lines) {
    if (line.find("action: sorteo | result: success") != std::string::npos) drawn = true;
    if (drawn && line.find("action: apuesta_recibida | result: success") != std::string::npos) {
      ADD_FAILURE() << "a batch stored after the draw: " << line;
    }
  }
  EXPECT_TRUE(server.running()) << server.output();
}

::testing::AssertionResult TlsRound::server_logs(const std::string& needle) {
  if (cluster_.server().wait_for_line(needle, kStartTimeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the server did not log \"" << needle << "\":\n" << cluster_.server().output();
}

}  // namespace tp0::testing
