#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>

#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <tuple>

#include "client/lottery_client.h"
#include "common/protocol/codec.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"
#include "tests/support/seed.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kAgencies = 5;
constexpr std::size_t kBatchBets = 100;

// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
bool ended(int pid) { return state_of(pid) == '?' || state_of(pid) == 'Z'; }

// SIGKILLs the server, then waits until the children it had have ended too (they are
// told to by the kernel when their parent dies). Stopping it first keeps it from forking
// between the look at its children and the kill.
void kill_server_and_its_children(Process& server) {
  server.send_signal(SIGSTOP);
  std::vector<int> children;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  // Until the stop has taken effect, the children listed may still change.
  while (state_of(server.pid()) != 'T') {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the server did not stop";
    std::this_thread::yield();
  }
  children = children_of(server.pid());
  server.send_signal(SIGKILL);
  ASSERT_EQ(server.wait_exit(kRunTimeout), 128 + SIGKILL);
  for (const int child : children) {
    while (!ended(child)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "child " << child << " outlived the server";
      std::this_thread::yield();
    }
  }
}

// How many rounds each kill test plays: TP0_KILL_ROUNDS, else 2. Their ctest
// registrations (tests/integration/CMakeLists.txt) play more.
int kill_rounds() {
  const char* given = std::getenv("TP0_KILL_ROUNDS");
  return given != nullptr && *given != '\0' ? std::stoi(given) : 2;
}

// Each concurrency setting, with each durability setting.
class ServerKilled : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  // The agency files of the course's data set, or when it is missing generated ones of
  // the same size.
  static void SetUpTestSuite() {
    data_dir_ = new TempDir();
    const std::string zip = find_dataset();
    if (!zip.empty()) unzip_into(zip, data_dir_->path());
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      const std::string path = data_dir_->file("agency-" + std::to_string(id) + ".csv");
      agencies_.push_back(zip.empty() ? write_agency_file(path, id, 16'000, 2) : count_agency_file(path));
    }
  }
  static void TearDownTestSuite() { delete data_dir_; }

  // Starts the project's client of every agency against the cluster's server.
  static std::vector<Process*> start_agencies(Cluster& cluster) {
    std::vector<Process*> clients;
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      clients.push_back(&cluster.start_client(id, {{"CLI_DATA_FILE", agencies_[id - 1].path},
                                                   {"CLI_BATCH_MAXAMOUNT", std::to_string(kBatchBets)},
                                                   {"CLI_LOG_LEVEL", "INFO"}}));
    }
    return clients;
  }

  static TempDir* data_dir_;
  static std::vector<AgencyData> agencies_;
};

TempDir* ServerKilled::data_dir_ = nullptr;
std::vector<AgencyData> ServerKilled::agencies_;

// A moment of a round, named by the server's log line that marks it: the kill lands as
// soon as the server has logged `count` such lines in its current life.
struct Moment {
  const char* phase;
  std::string line;
  std::size_t count;
};

// The next kill's moment, in phase `phase` (0 to 3). The phases, in the order a round meets
// them: batches being stored; agencies finishing and waiting for the draw; the last
// Finished, after which the draw is held and its record written; the winners being answered.
constexpr std::uint32_t kPhases = 4;
Moment draw_moment(std::mt19937& random, std::uint32_t phase, bool sequential) {
  switch (phase) {
    case 0:
      return {"mid-ingest", "action: apuesta_recibida | result: success", 1 + random() % 60};
    case 1:
      // A sequential server answers NotReady; a process one hands the connection over.
      return {"waiting for the draw", sequential ? "action: agency_finished" : "action: wait_for_draw",
              1 + random() % (kAgencies - 1)};
    case 2:
      return {"holding the draw", "action: agency_finished", kAgencies};
    default:
      return {"answering winners", "action: winners_sent", 1 + random() % kAgencies};
  }
}

// SIGKILL at random moments of a round, up to three times, the server started again at
// once on the same files and port each time: the round resumes, every client reconnects
// and exits 0 with its own winners, and the bets file holds every bet of the agency files
// exactly once, in each agency's order, and nothing else. Set TP0_SEED to replay.
TEST_P(ServerKilled, AtRandomMomentsTheRoundResumesAndEveryBetIsStoredOnce) {
  const int rounds = kill_rounds();
  const auto [concurrency, durability] = GetParam();
  const bool sequential = concurrency == "sequential";
  std::mt19937 random(static_cast<std::mt19937::result_type>(test_seed()));
  // Each round's first kill goes to the phases in turn from this one, so that any four
  // rounds hit every phase, and fewer hit those the seed picks.
  const auto first_phase = static_cast<std::uint32_t>(random() % kPhases);
  std::map<std::string, int> kills_per_phase;
  int kills = 0;
  int kills_between_rows_and_commit = 0;
  std::size_t bets_checked = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Cluster cluster;
    const Environment server_environment{{"SERVER_CONCURRENCY", concurrency},
                                         {"SERVER_DURABILITY", durability},
                                         {"SERVER_AGENCIES", std::to_string(kAgencies)}};
    Process* server = &cluster.start_server(server_environment);
    const std::vector<Process*> clients = start_agencies(cluster);
    const auto round_over = [&] {
      return std::none_of(clients.begin(), clients.end(), [](Process* client) { return client->running(); });
    };
    const int kills_this_round = 1 + static_cast<int>(random() % 3);
    for (int kill = 0; kill < kills_this_round; ++kill) {
      const auto phase = kill == 0 ? (first_phase + static_cast<std::uint32_t>(round)) % kPhases
                                   : static_cast<std::uint32_t>(random() % kPhases);
      const Moment moment = draw_moment(random, phase, sequential);
      const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
      while (server->lines_containing(moment.line).size() < moment.count && !round_over()) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "waiting for " << moment.phase;
        std::this_thread::yield();
      }
      if (round_over()) break;
      kill_server_and_its_children(*server);
      if (::testing::Test::HasFatalFailure()) return;
      ++kills;
      ++kills_per_phase[moment.phase];
      server = &cluster.restart_server(server_environment);
      const auto resumed = server->lines_containing("action: resume_round | result: success");
      ASSERT_EQ(resumed.size(), 1u) << server->output();
      // Rows the new server had to cut: the kill fell between a batch's rows and their commit.
      if (field_of(resumed[0], "uncommitted_bytes_dropped") != "0") ++kills_between_rows_and_commit;
    }
    expect_round_complete(cluster, agencies_);
    if (::testing::Test::HasFailure()) return;
    for (const AgencyData& agency : agencies_) bets_checked += agency.bets;
  }
  std::string phases;
  for (const auto& [phase, count] : kills_per_phase)
    phases += " " + phase + ": " + std::to_string(count) + ";";
  RecordProperty("kills", kills);
  RecordProperty("bets_checked", static_cast<int>(bets_checked));
  std::printf(
      "%d rounds, %d kills (%s %d of them between a batch's rows and their commit), %zu bets checked: "
      "0 lost, 0 stored twice\n",
      rounds, kills, phases.c_str(), kills_between_rows_and_commit, bets_checked);
}

INSTANTIATE_TEST_SUITE_P(ConcurrencyAndDurability, ServerKilled,
                         ::testing::Combine(::testing::Values("sequential", "process"),
                                            ::testing::Values("process", "machine")),
                         [](const auto& settings) {
                           return std::get<0>(settings.param) + "_durability_" + std::get<1>(settings.param);
                         });

class ClientKilled : public ::testing::TestWithParam<const char*> {};

TEST_P(ClientKilled, MidIngestOnlyItsOwnConversationEnds) {
  constexpr std::uint32_t kVictim = 3;
  constexpr std::uint32_t kHalfFrame = 4;
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", "4"}});
  const auto victim_data = write_agency_file(cluster.dir().file("agency-3.csv"), kVictim, 6000, 0);
  auto& victim =
      cluster.start_client(kVictim, {{"CLI_DATA_FILE", victim_data.path}, {"CLI_BATCH_MAXAMOUNT", "20"}});
  const std::size_t batches = 1 + test_seed() % 100;
  ASSERT_TRUE(victim.wait_for_lines("action: batch_enviado", batches, kRunTimeout)) << victim.output();
  victim.send_signal(SIGKILL);
  ASSERT_EQ(victim.wait_exit(kRunTimeout), 128 + SIGKILL);
  {
    // What the server sees of a client killed inside write(2): half a batch, then the end.
    RawPeer peer(cluster, kHalfFrame);
    ASSERT_EQ(peer.hello(kHalfFrame), protocol::Message(protocol::Resume{0}));
    const protocol::Batch batch = batch_of(kHalfFrame, 0, 0, 20);
    peer.send_first_bytes_of(batch, frame_of(batch).size() / 2);
  }
  ASSERT_TRUE(server.wait_for_line("closed the connection in the middle of a frame", kRunTimeout))
      << server.output();
  // Both come back to say they finished, so that the draw can be held.
  for (const std::uint32_t agency : {kVictim, kHalfFrame}) {
    RawPeer peer(cluster, agency);
    const auto answer = peer.hello(agency);
    ASSERT_TRUE(answer && std::holds_alternative<protocol::Resume>(*answer));
    peer.send(protocol::Finished{});
    ASSERT_EQ(peer.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
  }

  for (std::uint32_t id = 1; id <= 2; ++id) start_agency(cluster, id, 300, 2);
  for (std::uint32_t id = 1; id <= 2; ++id) expect_served(cluster, id, 2);
  auto stored = bets_per_agency(cluster.bets_path());
  EXPECT_EQ(stored[1], 300u);
  EXPECT_EQ(stored[2], 300u);
  EXPECT_EQ(stored[kHalfFrame], 0u);
  EXPECT_GE(stored[kVictim], batches * 20);
  EXPECT_EQ(stored[kVictim] % 20, 0u) << "a batch of the killed client was stored in part";
  EXPECT_TRUE(connection_children_reaped(server)) << server.output();
}

// The moment between a batch's rows and their commit, which a kill from outside cannot aim
// at: a library preloaded into the server (tests/support/kill_before_commit.cc) SIGKILLs
// the process about to commit its Nth batch, once per round. A process server loses that
// connection's child; a sequential server is that process, and is started again. Either
// way the next writer cuts the rows nothing commits, the client resumes, and every bet is
// stored once.
class KilledBetweenRowsAndCommit : public ServerKilled {};

TEST_P(KilledBetweenRowsAndCommit, TheRowsAreCutAndTheRoundGoesOn) {
  const int runs = kill_rounds();
  const auto [concurrency, durability] = GetParam();
  const bool sequential = concurrency == "sequential";
  std::mt19937 random(static_cast<std::mt19937::result_type>(test_seed()));
  for (int run = 0; run < runs; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    Cluster cluster;
    const std::string marker = cluster.dir().file("killed-before-commit");
    const Environment environment{{"SERVER_CONCURRENCY", concurrency},
                                  {"SERVER_DURABILITY", durability},
                                  {"SERVER_AGENCIES", std::to_string(kAgencies)},
                                  {"LD_PRELOAD", TP0_KILL_BEFORE_COMMIT_LIB},
                                  // The sanitizers' runtime is not first among the preloaded.
                                  {"ASAN_OPTIONS", "verify_asan_link_order=0"},
                                  {"TP0_KILL_BEFORE_COMMIT", std::to_string(2 + random() % 40)},
                                  {"TP0_KILL_MARKER", marker}};
    Process* server = &cluster.start_server(environment);
    start_agencies(cluster);
    const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
    while (::access(marker.c_str(), F_OK) != 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no process died before a commit";
      std::this_thread::yield();
    }
    if (sequential) {
      ASSERT_EQ(server->wait_exit(kRunTimeout), 128 + SIGKILL) << server->output();
      server = &cluster.restart_server(environment);
      const auto resumed = server->lines_containing("action: resume_round | result: success");
      ASSERT_EQ(resumed.size(), 1u) << server->output();
      EXPECT_NE(field_of(resumed[0], "uncommitted_bytes_dropped"), "0") << "the rows written before the kill";
    }
    expect_round_complete(cluster, agencies_);
    EXPECT_TRUE(server->running()) << server->output();
    if (::testing::Test::HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Concurrency, KilledBetweenRowsAndCommit,
                         ::testing::Combine(::testing::Values("sequential", "process"),
                                            ::testing::Values("process")),
                         [](const auto& settings) { return std::get<0>(settings.param); });

// A server restarted on a round of other agencies does not serve it: it says so and how
// to start a new round, which is then a setting away and keeps the old round aside.
TEST(ServerRestarted, OnARoundOfOtherAgenciesItRefusesToStartAndANewRoundIsDeliberate) {
  Cluster cluster;
  auto& first = cluster.start_server({{"SERVER_AGENCIES", "3"}});
  const auto data = write_agency_file(cluster.dir().file("agency-3.csv"), 3, 50, 1);
  auto& client = cluster.start_client(3, {{"CLI_DATA_FILE", data.path}, {"CLI_MODE", "batch"}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  first.send_signal(SIGTERM);
  ASSERT_EQ(first.wait_exit(kRunTimeout), 0);

  EXPECT_THROW(cluster.restart_server({{"SERVER_AGENCIES", "2"}}), std::runtime_error);
  EXPECT_EQ(cluster.server().wait_exit(kRunTimeout), 1);
  const std::string refusal = cluster.server().output();
  EXPECT_NE(refusal.find("has bets of agency 3"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("SERVER_ROUND=new"), std::string::npos) << refusal;
  EXPECT_EQ(bets_per_agency(cluster.bets_path())[3], 50u) << "the refused start changed the round";

  auto& renewed = cluster.restart_server({{"SERVER_AGENCIES", "2"}, {"SERVER_ROUND", "new"}});
  const auto archived = renewed.lines_containing("action: archive_bets | result: success");
  ASSERT_EQ(archived.size(), 1u) << renewed.output();
  EXPECT_EQ(field_of(archived[0], "archived_as"), cluster.bets_path() + ".1");
  EXPECT_EQ(bets_per_agency(cluster.bets_path() + ".1")[3], 50u);
  EXPECT_TRUE(bets_per_agency(cluster.bets_path()).empty()) << "the new round starts empty";
}

// The agency's client killed mid-ingest and started again: it resumes after the bets the
// server holds, whatever was in flight when it died, and every bet is stored once.
TEST_P(ClientKilled, AndStartedAgainMidIngestItResumesWithoutDuplicates) {
  Cluster cluster;
  cluster.start_server({{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", "1"}});
  const auto data = write_agency_file(cluster.dir().file("agency-1.csv"), 1, 6000, 3);
  const Environment environment{{"CLI_DATA_FILE", data.path}, {"CLI_BATCH_MAXAMOUNT", "20"}};
  auto& victim = cluster.start_client(1, environment);
  const std::size_t batches = 1 + test_seed() % 200;
  ASSERT_TRUE(victim.wait_for_lines("action: batch_enviado", batches, kRunTimeout)) << victim.output();
  victim.send_signal(SIGKILL);
  ASSERT_EQ(victim.wait_exit(kRunTimeout), 128 + SIGKILL);

  auto& again = cluster.start_client(1, environment);
  expect_served(cluster, 1, 3);
  const auto resumed = again.lines_containing("action: resume | result: success");
  ASSERT_EQ(resumed.size(), 1u) << again.output();
  EXPECT_GE(std::stoul(field_of(resumed[0], "apuestas_almacenadas")), batches * 20);
  EXPECT_EQ(bet_keys_in_bets_file(cluster.bets_path(), 1), bet_keys_of_agency_file(data.path))
      << "every bet of the file, once, in order";
}

INSTANTIATE_TEST_SUITE_P(Concurrency, ClientKilled, ::testing::Values("sequential", "process"));

// A client waiting for the draw holds no child: its connection waits in the parent, so
// a client killed then leaves no process behind, and the round goes on.
TEST(ClientKilledProcess, WhileWaitingForTheDrawNoChildIsLeftBehind) {
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "2"}});
  start_agency(cluster, 1, 50, 1);
  Process& victim = cluster.client(1);
  ASSERT_TRUE(server.wait_for_line("action: wait_for_draw | result: in_progress | agency: 1", kRunTimeout))
      << server.output();
  ASSERT_TRUE(server.wait_for_line("action: hand_back_connection", kRunTimeout)) << server.output();
  victim.send_signal(SIGKILL);
  EXPECT_TRUE(connection_children_reaped(server)) << "a child outlived its conversation";
  EXPECT_TRUE(server.lines_containing("action: sorteo").empty());

  // Agency 1 did finish before it died, so agency 2 completes the draw.
  start_agency(cluster, 2, 50, 1);
  expect_served(cluster, 2, 1);
  EXPECT_EQ(server.lines_containing("action: sorteo | result: success").size(), 1u);
  EXPECT_TRUE(server.running());
}

}  // namespace
}  // namespace tp0::testing
