#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/protocol/messages.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kAgencies = 2;

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// One step a server is killed before, by the library preloaded into it
// (tests/support/kill_before_commit.cc): the `nth` call `call` on a path ending in `path`.
struct Step {
  const char* name;
  const char* call;
  std::string path;
  int nth = 1;
};

Environment killed_before(const Step& step, const std::string& marker, Environment environment) {
  environment["LD_PRELOAD"] = TP0_KILL_BEFORE_COMMIT_LIB;
  // The sanitizers' runtime is not first among the preloaded.
  environment["ASAN_OPTIONS"] = "verify_asan_link_order=0";
  environment["TP0_KILL_CALL"] = step.call;
  environment["TP0_KILL_PATH"] = step.path;
  environment["TP0_KILL_NTH"] = std::to_string(step.nth);
  environment["TP0_KILL_MARKER"] = marker;
  return environment;
}

// What one round of the tests plays: every agency bets `bets`, of which `winners` won.
struct RoundData {
  std::size_t bets;
  std::size_t winners;
};

// Starts every agency's client on a file of `round`'s bets; returns the files.
std::vector<AgencyData> start_agencies(Cluster& cluster, const RoundData& round) {
  std::vector<AgencyData> agencies;
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    agencies.push_back(start_agency(cluster, id, round.bets, round.winners, {{"CLI_LOG_LEVEL", "INFO"}}));
  }
  return agencies;
}

// The files of the draw record directory `record`, by name, with what each holds.
std::map<std::string, std::string> files_of(const std::string& record) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(record)) {
    files[entry.path().filename().string()] = read_file(entry.path().string());
  }
  return files;
}

// The winner rows of the draw record beside `bets_path`: every line of its agencies' files.
std::size_t winner_rows_in_record(const std::string& bets_path) {
  std::size_t rows = 0;
  for (const auto& [name, rows_of_agency] : files_of(bets_path + ".draw"))
    rows += split_lines(rows_of_agency).size();
  return rows;
}

// The round of `agencies` complete (expect_round_complete), its draw record holding its
// winners and no others.
void expect_round_recorded(Cluster& cluster, const std::vector<AgencyData>& agencies) {
  expect_round_complete(cluster, agencies);
  std::size_t winners = 0;
  for (const AgencyData& agency : agencies) winners += agency.winners;
  EXPECT_EQ(winner_rows_in_record(cluster.bets_path()), winners);
}

void stop(Process& server) {
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
}

// A server starting a new round is killed before each step of setting the previous round
// aside, then started again with the same settings, as a supervisor does. Whatever the
// step, the previous round is kept whole, once, as `<bets>.1`, and the new round's draw
// holds only its own bets: none of the previous round's reaches it.
TEST(RoundFilesKilled, BeforeEachStepOfArchivingNoBetOfThePreviousRoundEntersTheNextDraw) {
  const RoundData previous{60, 3};
  const RoundData next{40, 1};
  for (const bool machine : {false, true}) {
    std::vector<Step> steps{{"the journal's second name", "link", "bets.csv.journal"},
                            {"the rename that sets the round aside", "renameat2", "bets.csv"},
                            {"the journal's first name going", "unlink", "bets.csv.journal"},
                            {"the previous draw's record going", "rename", "bets.csv.draw"}};
    if (machine) {
      steps.push_back({"the directory's sync after archiving", "fsync", ""});
      steps.push_back({"the directory's sync after the draw's record went", "fsync", "", 2});
      steps.push_back({"the new journal's sync", "fdatasync", "bets.csv.journal"});
      steps.push_back({"the directory's sync after the new files", "fsync", "", 3});
    }
    for (Step step : steps) {
      SCOPED_TRACE(std::string(machine ? "machine" : "process") + " durability, before " + step.name);
      Cluster cluster;
      if (step.path.empty()) step.path = cluster.dir().path();
      const std::string bets = cluster.bets_path();
      Environment settings{{"SERVER_AGENCIES", std::to_string(kAgencies)},
                           {"SERVER_DURABILITY", machine ? "machine" : "process"}};
      cluster.start_server(settings);
      expect_round_recorded(cluster, start_agencies(cluster, previous));
      stop(cluster.server());
      const std::string previous_bets = read_file(bets);

      settings["SERVER_ROUND"] = "new";
      const std::string marker = cluster.dir().file("killed");
      EXPECT_THROW(cluster.restart_server(killed_before(step, marker, settings)), std::runtime_error);
      ASSERT_EQ(cluster.server().wait_exit(kRunTimeout), 128 + SIGKILL) << cluster.server().output();
      ASSERT_TRUE(exists(marker)) << "the step was never reached";
      // What the kill left at the bets file's path: the previous round whole, or nothing
      // that a writer could take for the new round's.
      if (exists(bets)) {
        EXPECT_TRUE(read_file(bets).empty() || exists(bets + ".journal")) << "bets without their journal";
        if (!read_file(bets).empty()) {
          EXPECT_EQ(read_file(bets), previous_bets);
        }
      }

      Process& renewed = cluster.restart_server(settings);
      expect_round_recorded(cluster, start_agencies(cluster, next));
      EXPECT_EQ(read_file(bets + ".1"), previous_bets) << "the previous round, set aside whole";
      // Killed after the new round's files were made, the restart sets those aside too: empty.
      EXPECT_TRUE(!exists(bets + ".2") || read_file(bets + ".2").empty())
          << "the previous round set aside twice";
      EXPECT_TRUE(renewed.lines_containing("result: fail").empty()) << renewed.output();
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// Bets nothing says were committed are no round to resume: the server refuses to start,
// in one line naming the file and the way out, which then sets them aside.
TEST(RoundFilesStart, ABetsFileWithoutItsJournalIsRefusedForResumingAndArchivedByANewRound) {
  Cluster cluster;
  const std::string bets = cluster.bets_path();
  write_file(bets, "1,Ana,Paz,30000000,1990-01-31,7574\n");
  EXPECT_THROW(cluster.start_server({{"SERVER_AGENCIES", "1"}}), std::runtime_error);
  ASSERT_EQ(cluster.server().wait_exit(kRunTimeout), 1);
  const auto refusals = cluster.server().lines_containing("result: fail");
  ASSERT_EQ(refusals.size(), 1u) << cluster.server().output();
  EXPECT_NE(refusals[0].find(bets), std::string::npos) << refusals[0];
  EXPECT_NE(refusals[0].find("SERVER_ROUND=new"), std::string::npos) << refusals[0];
  EXPECT_FALSE(exists(bets + ".journal")) << "the refused start changed the round";

  Process& renewed = cluster.restart_server({{"SERVER_AGENCIES", "1"}, {"SERVER_ROUND", "new"}});
  const auto archived = renewed.lines_containing("action: archive_bets | result: success");
  ASSERT_EQ(archived.size(), 1u) << renewed.output();
  EXPECT_EQ(field_of(archived[0], "archived_as"), bets + ".1");
  EXPECT_EQ(bets_per_agency(bets + ".1")[1], 1u);
  EXPECT_TRUE(bets_per_agency(bets).empty());
}

// Each concurrency setting.
class DrawRecordKilled : public ::testing::TestWithParam<const char*> {};

// The process writing the draw's record is killed before each step of writing it: a
// sequential server is that process, and is started again on the round; a process server
// loses the child. Either way the record is made again, from the same bets, and every
// agency gets its winners. What the sequential server leaves at the kill shows the order:
// the record's files are synced before its rename, whatever the durability, and with
// machine durability the directory after it.
TEST_P(DrawRecordKilled, BeforeEachStepOfWritingItTheDrawnRoundStillAnswers) {
  const bool sequential = std::string(GetParam()) == "sequential";
  const RoundData round{50, 2};
  for (const bool machine : {false, true}) {
    // Each agency's few rows take one write to its own file; each file is synced, then the
    // directory that names them.
    const std::string last_agency = "bets.csv.draw.tmp/" + std::to_string(kAgencies);
    std::vector<Step> steps{{"its first agency's rows", "write", "bets.csv.draw.tmp/1"},
                            {"its last agency's rows", "write", last_agency},
                            {"its last agency's sync", "fdatasync", last_agency},
                            {"its names' sync", "fsync", "bets.csv.draw.tmp"},
                            {"its rename", "rename", "bets.csv.draw.tmp"}};
    if (machine) {
      // The first sync of the directory is the start's (storage::recover).
      steps.push_back({"the directory's sync", "fsync", "", 2});
    }
    for (Step step : steps) {
      SCOPED_TRACE(std::string(machine ? "machine" : "process") + " durability, before " + step.name);
      Cluster cluster;
      if (step.path.empty()) step.path = cluster.dir().path();
      const std::string record = cluster.bets_path() + ".draw";
      const Environment settings{{"SERVER_AGENCIES", std::to_string(kAgencies)},
                                 {"SERVER_CONCURRENCY", GetParam()},
                                 {"SERVER_DURABILITY", machine ? "machine" : "process"}};
      const std::string marker = cluster.dir().file("killed");
      cluster.start_server(killed_before(step, marker, settings));
      const auto agencies = start_agencies(cluster, round);
      const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
      while (!exists(marker)) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the step was never reached";
        std::this_thread::yield();
      }
      if (sequential) {
        ASSERT_EQ(cluster.server().wait_exit(kRunTimeout), 128 + SIGKILL) << cluster.server().output();
        const bool syncing_the_record = step.path.find(".draw.tmp") != std::string::npos &&
                                        std::string(step.call).find("sync") != std::string::npos;
        if (syncing_the_record) {
          EXPECT_FALSE(exists(record)) << "renamed before its sync";
          EXPECT_EQ(files_of(record + ".tmp").size(), kAgencies) << "synced before it was written";
        }
        if (step.path == cluster.dir().path()) {
          EXPECT_TRUE(exists(record)) << "the directory synced before the rename";
        }
        Process& resumed = cluster.restart_server(settings);
        EXPECT_EQ(resumed.lines_containing("action: resume_round | result: success").size(), 1u);
        EXPECT_EQ(field_of(resumed.lines_containing("action: resume_round")[0], "drawn"), "yes");
      }
      expect_round_recorded(cluster, agencies);
      EXPECT_TRUE(cluster.server().running()) << cluster.server().output();
      if (::testing::Test::HasFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Concurrency, DrawRecordKilled, ::testing::Values("sequential", "process"));

// A drawn round whose record is gone, as a crash of the machine leaves one whose rename
// never reached the disk (without machine durability), or whose writer died before it:
// resumed, it records its draw again, the same, and answers every agency from it.
TEST(DrawRecordMissing, AResumedDrawnRoundWithoutItsRecordAnswersEveryAgency) {
  const RoundData round{50, 2};
  for (const bool left_aside : {false, true}) {
    SCOPED_TRACE(left_aside ? "a part of it left aside" : "nothing of it left");
    Cluster cluster;
    const Environment settings{{"SERVER_AGENCIES", std::to_string(kAgencies)},
                               {"SERVER_CONCURRENCY", "sequential"}};
    cluster.start_server(settings);
    expect_round_recorded(cluster, start_agencies(cluster, round));
    stop(cluster.server());
    const std::string record_path = cluster.bets_path() + ".draw";
    const auto record = files_of(record_path);
    if (left_aside) {
      std::filesystem::rename(record_path, record_path + ".tmp");
      std::filesystem::remove(record_path + ".tmp/1");
    } else {
      std::filesystem::remove_all(record_path);
    }

    Process& resumed = cluster.restart_server(settings);
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      RawPeer peer(cluster, id);
      ASSERT_EQ(peer.hello(id), protocol::Message(protocol::Resume{static_cast<std::uint32_t>(round.bets)}));
      peer.send(protocol::WinnersQuery{id});
      const auto answer = peer.receive();
      ASSERT_TRUE(answer && std::holds_alternative<protocol::Winners>(*answer)) << resumed.output();
      EXPECT_EQ(std::get<protocol::Winners>(*answer).documents.size(), round.winners);
    }
    EXPECT_EQ(files_of(record_path), record) << "recorded again, the same";
    EXPECT_EQ(resumed.lines_containing("action: sorteo | result: success").size(), 1u);
  }
}

}  // namespace
}  // namespace tp0::testing
