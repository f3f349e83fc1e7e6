#include <gtest/gtest.h>

#include <csignal>
#include <random>
#include <thread>

#include "client/lottery_client.h"
#include "common/protocol/codec.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/seed.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kAgencies = 5;
constexpr std::size_t kBatchBets = 100;

// Waits until the server has reaped every child it forked to serve a connection; false
// after kStartTimeout.
bool children_reaped(Process& server) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!connection_children_of(server).empty()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
bool ended(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto state = stat.rfind(") ");
  return stat.empty() || (state != std::string::npos && stat[state + 2] == 'Z');
}

// SIGKILLs the server, then waits until the children it had have ended too (they are
// told to by the kernel when their parent dies). Stopping it first keeps it from forking
// between the look at its children and the kill.
void kill_server_and_its_children(Process& server) {
  server.send_signal(SIGSTOP);
  std::vector<int> children;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  // Until the stop has taken effect, the children listed may still change.
  while (read_file("/proc/" + std::to_string(server.pid()) + "/stat").find(") T ") == std::string::npos) {
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

// The bets a client saw acknowledged: the sum of its batch_enviado lines, each logged
// after the server's Ack arrived.
std::size_t acknowledged_bets(Process& client) {
  std::size_t bets = 0;
  for (const auto& line : client.lines_containing("action: batch_enviado | result: success")) {
    bets += std::stoul(field_of(line, "cantidad"));
  }
  return bets;
}

class ServerKilled : public ::testing::TestWithParam<const char*> {
 protected:
  // The agency files of the course's data set, or when it is missing generated ones of
  // the same size, each as its bets in order.
  static void SetUpTestSuite() {
    data_dir_ = new TempDir();
    const std::string zip = find_dataset();
    if (!zip.empty()) {
      ASSERT_TRUE(unzip_into(zip, data_dir_->path()));
    }
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      const std::string path = data_dir_->file("agency-" + std::to_string(id) + ".csv");
      if (zip.empty()) write_agency_file(path, id, 16'000, 2);
      agency_bets_.push_back(bet_keys_of_agency_file(path));
    }
  }
  static void TearDownTestSuite() { delete data_dir_; }

  static std::string agency_file(std::uint32_t id) {
    return data_dir_->file("agency-" + std::to_string(id) + ".csv");
  }

  static TempDir* data_dir_;
  static std::vector<std::vector<std::string>> agency_bets_;
};

TempDir* ServerKilled::data_dir_ = nullptr;
std::vector<std::vector<std::string>> ServerKilled::agency_bets_;

TEST_P(ServerKilled, AtRandomMomentsOfTheIngestAcknowledgedBatchesAreKeptWholeAndOnce) {
  constexpr int kRuns = 12;
  std::size_t total_batches = 0;
  for (const auto& bets : agency_bets_) total_batches += (bets.size() + kBatchBets - 1) / kBatchBets;
  std::mt19937 random(static_cast<std::mt19937::result_type>(test_seed()));
  std::size_t acknowledged_total = 0;
  std::size_t unacknowledged_batches_found = 0;
  std::size_t uncommitted_bytes_dropped = 0;
  for (int run = 0; run < kRuns; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    Cluster cluster;
    const Environment server_environment{{"SERVER_CONCURRENCY", GetParam()},
                                         {"SERVER_AGENCIES", std::to_string(kAgencies)},
                                         {"LOGGING_LEVEL", "INFO"}};
    auto& server = cluster.start_server(server_environment);
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      cluster.start_client(id, {{"CLI_DATA_FILE", agency_file(id)},
                                {"CLI_BATCH_MAXAMOUNT", std::to_string(kBatchBets)}});
    }
    const std::size_t stored_batches = 1 + random() % (total_batches - 1);
    ASSERT_TRUE(server.wait_for_lines("action: apuesta_recibida", stored_batches, kRunTimeout))
        << server.output();
    kill_server_and_its_children(server);
    if (::testing::Test::HasFatalFailure()) return;

    // Clients that lost the server end with an error; those retrying a connection are
    // told to stop. What they saw acknowledged is already in their logs.
    std::vector<std::size_t> acknowledged(kAgencies + 1, 0);
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      auto& client = cluster.client(id);
      client.send_signal(SIGTERM);
      ASSERT_TRUE(client.wait_exit(kRunTimeout).has_value());
      acknowledged[id] = acknowledged_bets(client);
      acknowledged_total += acknowledged[id];
    }

    auto& restarted = cluster.start_server(server_environment);
    const auto archived_lines = restarted.lines_containing("action: archive_bets | result: success");
    ASSERT_EQ(archived_lines.size(), 1u) << restarted.output();
    const std::string archived = field_of(archived_lines[0], "archived_as");
    uncommitted_bytes_dropped += std::stoul(field_of(archived_lines[0], "uncommitted_bytes_dropped"));
    const std::string content = read_file(archived);
    ASSERT_FALSE(content.empty());
    ASSERT_EQ(content.back(), '\n') << "the last row is torn";
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      const auto& sent = agency_bets_[id - 1];
      const auto stored = bet_keys_in_bets_file(archived, id);
      ASSERT_GE(stored.size(), acknowledged[id]) << "agency " << id << " lost acknowledged bets";
      // Beyond those, at most the batches in flight when the server died, each whole.
      const std::size_t unacknowledged = stored.size() - acknowledged[id];
      ASSERT_LE(unacknowledged, client::LotteryClient::kBatchesInFlight * kBatchBets)
          << "agency " << id << ": " << stored.size() << " stored, " << acknowledged[id] << " acknowledged";
      ASSERT_TRUE(stored.size() == sent.size() || stored.size() % kBatchBets == 0)
          << "agency " << id << ": " << stored.size() << " stored, a batch of " << kBatchBets << " was cut";
      if (stored.size() > acknowledged[id]) ++unacknowledged_batches_found;
      // In order, each once: the stored rows are exactly the start of the agency's file.
      ASSERT_TRUE(std::equal(stored.begin(), stored.end(), sent.begin())) << "agency " << id;
    }
    EXPECT_TRUE(bets_per_agency(cluster.bets_path()).empty()) << "the restarted server starts a new round";
  }
  RecordProperty("runs", kRuns);
  RecordProperty("acknowledged_bets", static_cast<int>(acknowledged_total));
  std::printf("%d kills: %zu acknowledged bets all kept; %zu stored but unacknowledged batches kept whole; "
              "%zu uncommitted bytes cut\n",
              kRuns, acknowledged_total, unacknowledged_batches_found, uncommitted_bytes_dropped);
}

INSTANTIATE_TEST_SUITE_P(Concurrency, ServerKilled, ::testing::Values("sequential", "process"));

class ClientKilled : public ::testing::TestWithParam<const char*> {};

TEST_P(ClientKilled, MidIngestOnlyItsOwnConversationEnds) {
  constexpr std::uint32_t kVictim = 3;
  constexpr std::uint32_t kHalfFrame = 4;
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", "4"}});
  const auto victim_data = write_agency_file(cluster.dir().file("agency-3.csv"), kVictim, 6000, 0);
  auto& victim = cluster.start_client(kVictim, {{"CLI_DATA_FILE", victim_data.path}, {"CLI_BATCH_MAXAMOUNT", "20"}});
  const std::size_t batches = 1 + test_seed() % 100;
  ASSERT_TRUE(victim.wait_for_lines("action: batch_enviado", batches, kRunTimeout)) << victim.output();
  victim.send_signal(SIGKILL);
  ASSERT_EQ(victim.wait_exit(kRunTimeout), 128 + SIGKILL);
  {
    // What the server sees of a client killed inside write(2): half a batch, then the end.
    RawPeer peer(cluster.port());
    peer.send(protocol::Hello{kHalfFrame});
    ASSERT_EQ(peer.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
    protocol::Batch batch{kHalfFrame, {}};
    for (int i = 0; i < 20; ++i) {
      batch.bets.push_back(lottery::Bet{kHalfFrame, "Ana", "Paz", std::to_string(i), "1990-01-01", 1});
    }
    peer.send_first_bytes_of(batch, frame_of(batch).size() / 2);
  }
  ASSERT_TRUE(server.wait_for_line("closed the connection in the middle of a frame", kRunTimeout))
      << server.output();
  // Both come back to say they finished, so that the draw can be held.
  for (const std::uint32_t agency : {kVictim, kHalfFrame}) {
    RawPeer peer(cluster.port());
    peer.send(protocol::Hello{agency});
    ASSERT_EQ(peer.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
    peer.send(protocol::Finished{});
    ASSERT_EQ(peer.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
  }

  for (std::uint32_t id = 1; id <= 2; ++id) {
    const auto data = write_agency_file(cluster.dir().file("agency-" + std::to_string(id) + ".csv"), id, 300, 2);
    cluster.start_client(id, {{"CLI_DATA_FILE", data.path}});
  }
  for (std::uint32_t id = 1; id <= 2; ++id) {
    auto& client = cluster.client(id);
    ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
    EXPECT_EQ(client.lines_containing("action: consulta_ganadores | result: success | cant_ganadores: 2").size(), 1u);
  }
  auto stored = bets_per_agency(cluster.bets_path());
  EXPECT_EQ(stored[1], 300u);
  EXPECT_EQ(stored[2], 300u);
  EXPECT_EQ(stored[kHalfFrame], 0u);
  EXPECT_GE(stored[kVictim], batches * 20);
  EXPECT_EQ(stored[kVictim] % 20, 0u) << "a batch of the killed client was stored in part";
  EXPECT_TRUE(children_reaped(server)) << server.output();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, ClientKilled, ::testing::Values("sequential", "process"));

// A client waiting for the draw holds no child: its connection waits in the parent, so
// a client killed then leaves no process behind, and the round goes on.
TEST(ClientKilledProcess, WhileWaitingForTheDrawNoChildIsLeftBehind) {
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "2"}});
  const auto first = write_agency_file(cluster.dir().file("agency-1.csv"), 1, 50, 1);
  auto& victim = cluster.start_client(1, {{"CLI_DATA_FILE", first.path}});
  ASSERT_TRUE(server.wait_for_line("action: wait_for_draw | result: in_progress | agency: 1", kRunTimeout))
      << server.output();
  ASSERT_TRUE(server.wait_for_line("action: hand_back_connection", kRunTimeout)) << server.output();
  victim.send_signal(SIGKILL);
  EXPECT_TRUE(children_reaped(server)) << "a child outlived its conversation";
  EXPECT_TRUE(server.lines_containing("action: sorteo").empty());

  // Agency 1 did finish before it died, so agency 2 completes the draw.
  const auto second = write_agency_file(cluster.dir().file("agency-2.csv"), 2, 50, 1);
  auto& client = cluster.start_client(2, {{"CLI_DATA_FILE", second.path}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  EXPECT_EQ(client.lines_containing("action: consulta_ganadores | result: success | cant_ganadores: 1").size(), 1u);
  EXPECT_EQ(server.lines_containing("action: sorteo | result: success").size(), 1u);
  EXPECT_TRUE(server.running());
}

}  // namespace
}  // namespace tp0::testing
