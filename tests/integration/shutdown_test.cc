#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <random>
#include <thread>

#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/pausing_relay.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/seed.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kAgencies = 3;
// 1,500 batches of 20 per agency: far more than the 200 a test lets pass before it stops
// the server.
constexpr std::size_t kBetsPerAgency = 30'000;
// 150 batches of 20 for the agency whose client is stopped: more than the 100 its relay
// passes on at most, and the 4 more that the client sends before it waits for an answer.
constexpr std::size_t kVictimBets = 3'000;

class Shutdown : public ::testing::TestWithParam<const char*> {
 protected:
  void start_server(Cluster& cluster) {
    cluster.start_server(
        {{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", std::to_string(kAgencies)}});
  }

  // Starts the lottery client of agency `id` with `bets` bets, sent in batches of 20 so
  // that the ingest lasts long enough to be interrupted, and `environment` on top.
  static Process& start_in_small_batches(Cluster& cluster, std::uint32_t id, std::size_t bets,
                                         Environment environment = {}) {
    environment.emplace("CLI_BATCH_MAXAMOUNT", "20");
    start_agency(cluster, id, bets, 2, std::move(environment));
    return cluster.client(id);
  }

  // Starts a server and kAgencies lottery clients of kBetsPerAgency bets each.
  void start_ingest(Cluster& cluster) {
    start_server(cluster);
    for (std::uint32_t id = 1; id <= kAgencies; ++id) start_in_small_batches(cluster, id, kBetsPerAgency);
  }

  std::mt19937 random_{static_cast<std::mt19937::result_type>(test_seed())};
};

TEST_P(Shutdown, ServerStopsCleanlyAtARandomMomentOfTheIngest) {
  for (int round = 0; round < 3; ++round) {
    Cluster cluster;
    start_ingest(cluster);
    auto& server = cluster.server();
    const std::size_t batches = 1 + random_() % 200;
    ASSERT_TRUE(server.wait_for_lines("action: apuesta_recibida", batches, kRunTimeout)) << server.output();
    server.send_signal(SIGTERM);
    ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
    EXPECT_EQ(server.lines_containing("action: close_listener | result: success").size(), 1u);
    EXPECT_EQ(server.lines_containing("action: release_shared_memory | result: success").size(), 1u);
    EXPECT_EQ(server.lines_containing("action: shutdown | result: success").size(), 1u);
    // Whatever was stored is whole rows: the server's reader rejects any torn one.
    std::size_t stored = 0;
    for (const auto& [agency, count] : bets_per_agency(cluster.bets_path())) stored += count;
    // Each apuesta_recibida line is written after its batch was stored, and every batch
    // holds 20 bets, so at least that many bets were in the file when the signal left.
    EXPECT_GE(stored, batches * 20) << "logged batches are in the file";
  }
}

// Agency 1's client reaches the server through a relay that passes on its Hello and a
// random number of batches, then half of the next: the client, answered for each batch
// passed on, is waiting for the next answer when SIGTERM lands, mid-ingest however fast
// or slow the machine.
TEST_P(Shutdown, ClientStopsCleanlyAtARandomMomentAndOthersAreUnaffected) {
  Cluster cluster;
  start_server(cluster);
  const std::size_t batches = 1 + random_() % 100;
  PausingRelay relay(cluster, 1, 1 + batches);
  auto& victim = start_in_small_batches(
      cluster, 1, kVictimBets, {{"CLI_SERVER_ADDRESS", "127.0.0.1:" + std::to_string(relay.port())}});
  for (std::uint32_t id = 2; id <= kAgencies; ++id) start_in_small_batches(cluster, id, kBetsPerAgency);
  ASSERT_TRUE(victim.wait_for_lines("action: batch_enviado", batches, kRunTimeout))
      << victim.output() << "relay: " << relay.error();
  victim.send_signal(SIGTERM);
  ASSERT_EQ(victim.wait_exit(kRunTimeout), 0) << victim.output();
  ASSERT_TRUE(victim.lines_containing("action: apuestas_enviadas").empty())
      << "the signal came after the ingest";
  EXPECT_EQ(victim.lines_containing("action: batch_enviado").size(), batches) << "the relay passed on more";
  EXPECT_EQ(victim.lines_containing("action: close_connection | result: success").size(), 1u)
      << victim.output();
  EXPECT_EQ(victim.lines_containing("action: close_file | result: success").size(), 1u) << victim.output();
  auto& server = cluster.server();
  EXPECT_TRUE(server.wait_for_line("closed the connection in the middle of a frame", kRunTimeout))
      << server.output();

  // The others finish their ingest; the draw cannot happen without agency 1, so they are
  // still waiting for it, which SIGTERM must end cleanly too.
  ASSERT_TRUE(server.wait_for_lines("action: agency_finished", kAgencies - 1, kRunTimeout))
      << server.output();
  for (std::uint32_t id = 2; id <= kAgencies; ++id) {
    cluster.client(id).send_signal(SIGTERM);
    EXPECT_EQ(cluster.client(id).wait_exit(kRunTimeout), 0) << cluster.client(id).output();
  }
  const auto stored = bets_per_agency(cluster.bets_path());
  EXPECT_EQ(stored.at(1), batches * 20) << "the batches passed on are stored, the half one is not";
  for (std::uint32_t id = 2; id <= kAgencies; ++id) EXPECT_EQ(stored.at(id), kBetsPerAgency);
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
}

// A sequential server whose agency waits for the draw, asking again and again: the process
// setting's is ShutdownProcess.WhileAgenciesWaitForTheDraw.
TEST(ShutdownSequential, WhileAnAgencyWaitsForTheDrawTheServerStopsCleanly) {
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "sequential"}, {"SERVER_AGENCIES", "2"}});
  start_agency(cluster, 1, 50, 1);
  ASSERT_TRUE(server.wait_for_line("action: agency_finished", kRunTimeout)) << server.output();
  server.send_signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
  cluster.client(1).send_signal(SIGTERM);
  ASSERT_TRUE(cluster.client(1).wait_exit(kRunTimeout).has_value());
}

INSTANTIATE_TEST_SUITE_P(Concurrency, Shutdown, ::testing::Values("sequential", "process"));

// Process mode: the blocking points of the parent that the ingest tests do not reach.
// Each ends with exit code 0, every child stopped within its grace period (none killed).
void expect_clean_stop(Process& server) {
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
  EXPECT_EQ(server.lines_containing("action: terminate_children | result: success").size(), 1u);
  EXPECT_EQ(server.lines_containing("action: shutdown | result: success").size(), 1u);
  EXPECT_TRUE(server.lines_containing("action: child_exit | result: fail").empty()) << server.output();
}

// SIGTERM while the parent turns connections away at SERVER_MAX_CHILDREN: the busy answer
// is moot, the parent still shuts down in order. The signal lands at a random moment of
// a stream of refusals (seeded, printed). In both settings: with TLS the parent refuses
// by closing, in plain text it answers busy first.
TEST(ShutdownProcess, WhileRefusingConnectionsAtTheChildLimit) {
  std::mt19937 random(static_cast<std::mt19937::result_type>(test_seed()));
  for (const bool tls : {true, false}) {
    for (int round = 0; round < 5; ++round) {
      SCOPED_TRACE(std::string(tls ? "TLS" : "plain text") + ", round " + std::to_string(round));
      Cluster cluster;
      auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"},
                                           {"SERVER_MAX_CHILDREN", "2"},
                                           {"SERVER_HELLO_TIMEOUT", "120s"},
                                           {"SERVER_LISTEN_BACKLOG", "64"},
                                           {"SERVER_TLS", tls ? "on" : "off"}});
      // A member: a stranger there would be displaced by the next connection instead.
      RawPeer holder(cluster, 1);
      ASSERT_EQ(holder.hello(1), protocol::Message(protocol::Resume{0}));
      std::atomic<bool> stop{false};
      std::atomic<std::size_t> refused{0};
      std::thread knocker([&] {
        while (!stop) {
          try {
            RawPeer attempt(cluster, 1);
            attempt.receive();
          } catch (const std::exception&) {
            // Refused during the handshake, or the listener is gone.
            if (!server.lines_containing("action: close_listener").empty()) return;
          }
          ++refused;
          refused.notify_all();
        }
      });
      // The server logs refusals once per address per interval: the test counts its own.
      const std::size_t refusals = 1 + random() % 50;
      for (std::size_t seen = refused.load(); seen < refusals; seen = refused.load()) refused.wait(seen);
      expect_clean_stop(server);
      stop = true;
      knocker.join();
      // Each refusal is counted in the log: at the first, and the rest at shutdown.
      std::size_t logged = 0;
      for (const auto& line : server.lines_containing("action: accept_connections | result: fail")) {
        logged += std::stoul(field_of(line, "refused"));
      }
      EXPECT_GE(logged, refusals) << server.output();
      EXPECT_LE(server.lines_containing("action: accept_connections | result: fail").size(), 2U)
          << server.output();
    }
  }
}

// SIGTERM while agencies wait for the draw: their connections, held by the waiting room,
// are closed and logged one by one.
TEST(ShutdownProcess, WhileAgenciesWaitForTheDraw) {
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "3"}});
  const int room = std::stoi(field_of(server.lines_containing("action: open_waiting_room")[0], "pid"));
  std::vector<std::unique_ptr<RawPeer>> waiting;
  for (std::uint32_t agency = 1; agency <= 2; ++agency) {
    waiting.push_back(std::make_unique<RawPeer>(cluster, agency));
    RawPeer& peer = *waiting.back();
    peer.send(protocol::Hello{agency});
    peer.send(protocol::Finished{});
    peer.send(protocol::WinnersQuery{agency});
    ASSERT_EQ(peer.receive(), protocol::Message(protocol::Resume{0}));
    ASSERT_EQ(peer.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
    ASSERT_EQ(peer.receive(), protocol::Message(protocol::WaitForDraw{}));
    peer.end_tls();
  }
  ASSERT_TRUE(server.wait_for_lines("action: hand_back_connection", 2, kRunTimeout)) << server.output();
  // A child's line says the connection has left it; the room holds it once it has read it
  // from the socket between them. Counted among its TCP connections only: the room may
  // still be closing the descriptors it inherited, the listener among them.
  const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
  while (tcp_connections_of(room) < 2) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the waiting room did not take the connections";
    std::this_thread::yield();
  }
  expect_clean_stop(server);
  EXPECT_EQ(server.lines_containing("waiting_for: draw").size(), 2u) << server.output();
  for (auto& peer : waiting) EXPECT_TRUE(peer->closed_by_server());
}

}  // namespace
}  // namespace tp0::testing
