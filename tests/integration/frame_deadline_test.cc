// No byte rate holds a connection: a peer that has introduced itself and then trickles a
// message in, a byte now and then, is cut at SERVER_FRAME_TIMEOUT, however well within
// the idle timeout each byte comes; sequentially, the agencies behind it wait no longer
// than that. And a peer that resets is logged as a reset, not as a client that finished.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/net/errors.h"
#include "common/protocol/messages.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"

namespace tp0::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kBets = 120;
constexpr std::size_t kWinners = 3;
// The honest agencies are 1 and 2; the peer that misbehaves speaks for agency 3, with
// its certificate, and says Finished on a new connection once it was cut, so that the
// round can draw.
constexpr std::uint32_t kHonest = 2;
constexpr std::uint32_t kTrickler = 3;
constexpr milliseconds kFrameTimeout{1000};
// A byte every 50 ms: twenty bytes per second, 600 times the activity the idle timeout
// (30 s by default) asks for.
constexpr milliseconds kPace{50};

// A batch frame far longer than the frame timeout at kPace: 20 bets, about 800 bytes, 40 s.
std::vector<std::byte> long_batch_frame() { return frame_of(batch_of(kTrickler, 0, 0, 20)); }

// A peer of agency kTrickler that says Hello, then sends a batch one byte per kPace, in
// a thread of its own, until the server cuts it; then says Finished on a new connection.
class Trickler {
 public:
  explicit Trickler(Cluster& cluster) : cluster_(cluster), frame_(long_batch_frame()) {
    peer_ = introduce_when_not_busy(cluster_, kTrickler);
    thread_ = std::thread([this] { run(); });
  }
  ~Trickler() { thread_.join(); }
  Trickler(const Trickler&) = delete;
  Trickler& operator=(const Trickler&) = delete;

  // When its first byte of the batch went, and how many it sent before the cut.
  std::optional<steady_clock::time_point> first_byte_at() const {
    const auto at = first_byte_at_.load();
    return at == steady_clock::time_point{} ? std::nullopt : std::optional(at);
  }
  std::size_t sent() const { return sent_; }
  std::size_t frame_size() const { return frame_.size(); }

 private:
  void run() {
    try {
      for (const std::byte& byte : frame_) {
        peer_->send_bytes(std::span(&byte, 1));
        if (sent_++ == 0) first_byte_at_ = steady_clock::now();
        std::this_thread::sleep_for(kPace);  // the pace is the attack, not a synchronisation
      }
    } catch (const net::NetError&) {
      // Cut, as it should be: the send after the server's close fails.
    }
    peer_.reset();
    auto finisher = introduce_when_not_busy(cluster_, kTrickler);
    finisher->send(protocol::Finished{});
    EXPECT_EQ(finisher->receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
  }

  Cluster& cluster_;
  const std::vector<std::byte> frame_;
  std::unique_ptr<RawPeer> peer_;
  std::atomic<steady_clock::time_point> first_byte_at_{};
  std::atomic<std::size_t> sent_ = 0;
  std::thread thread_;
};

// Starts the honest agencies' real clients together, waits for them, checks each stored
// every bet and learned its winners; returns how long they took.
milliseconds run_honest_agencies(Cluster& cluster) {
  const auto started = steady_clock::now();
  for (std::uint32_t id = 1; id <= kHonest; ++id) {
    start_agency(cluster, id, kBets, kWinners, {{"CLI_BATCH_MAXAMOUNT", "25"}});
  }
  for (std::uint32_t id = 1; id <= kHonest; ++id) cluster.client(id).wait_exit(kRunTimeout);
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
  for (std::uint32_t id = 1; id <= kHonest; ++id) {
    expect_served(cluster, id, kWinners);
    EXPECT_EQ(bets_per_agency(cluster.bets_path())[id], kBets) << id;
  }
  return took;
}

// The server of the round, in the `concurrency` setting, with the test's frame timeout.
Process& start_server(Cluster& cluster, const std::string& concurrency) {
  return cluster.start_server({{"SERVER_CONCURRENCY", concurrency},
                               {"SERVER_AGENCIES", std::to_string(kHonest + 1)},
                               {"SERVER_FRAME_TIMEOUT", std::to_string(kFrameTimeout.count()) + "ms"}});
}

// What the server's error says of a connection cut at its frame deadline.
std::string cut_line() {
  return "frame not done within its deadline of " + std::to_string(kFrameTimeout.count()) + " ms";
}

using FrameDeadline = ::testing::TestWithParam<const char*>;

TEST_P(FrameDeadline, ABatchTrickledAfterTheHelloIsCutAtTheFrameTimeout) {
  Cluster cluster;
  auto& server = start_server(cluster, GetParam());
  std::optional<milliseconds> cut_after;
  {
    Trickler trickler(cluster);
    ASSERT_TRUE(server.wait_for_line(cut_line(), kRunTimeout)) << server.output();
    const auto seen = steady_clock::now();
    ASSERT_TRUE(trickler.first_byte_at().has_value());
    cut_after = std::chrono::duration_cast<milliseconds>(seen - *trickler.first_byte_at());
    run_honest_agencies(cluster);
    EXPECT_LT(trickler.sent(), trickler.frame_size()) << "the whole batch went in";
    std::cout << "trickler cut after " << cut_after->count() << " ms (" << trickler.sent() << " of "
              << trickler.frame_size() << " bytes sent)\n";
  }
  EXPECT_GE(*cut_after, kFrameTimeout - 100ms) << "cut before its deadline";
  EXPECT_LT(*cut_after, kFrameTimeout + 2s);
  const auto failures = server.lines_containing(
      "action: serve_connection | result: fail | ip: 127.0.0.1 | error: "
      "receive from 127.0.0.1: " +
      cut_line());
  EXPECT_EQ(failures.size(), 1u) << server.output();
  EXPECT_EQ(bets_per_agency(cluster.bets_path()).count(kTrickler), 0u)
      << "part of the trickled batch was stored";
  EXPECT_EQ(server.lines_containing("action: sorteo | result: success").size(), 1u);
  EXPECT_TRUE(server.running());
}

// One connection at a time: the honest agencies wait in the backlog behind the trickler,
// but no longer than its frame deadline, against 40 s without one.
TEST(FrameDeadlineSequential, TheAgenciesBehindATricklerWaitNoLongerThanItsDeadline) {
  milliseconds alone{};
  {
    Cluster cluster;
    start_server(cluster, "sequential");
    {
      auto peer = introduce_when_not_busy(cluster, kTrickler);
      peer->send(protocol::Finished{});
      ASSERT_EQ(peer->receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
    }
    alone = run_honest_agencies(cluster);
  }
  milliseconds behind{};
  {
    Cluster cluster;
    auto& server = start_server(cluster, "sequential");
    Trickler trickler(cluster);
    // Queued behind it: the trickler is being served, its batch begun.
    while (!trickler.first_byte_at()) std::this_thread::yield();
    behind = run_honest_agencies(cluster);
    EXPECT_EQ(server.lines_containing("frame not done within its deadline").size(), 1u) << server.output();
  }
  std::cout << "honest agencies alone: " << alone.count() << " ms; behind a trickler: " << behind.count()
            << " ms (frame timeout " << kFrameTimeout.count() << " ms)\n";
  EXPECT_LT(behind, alone + kFrameTimeout + 3s);
}

// A peer that resets between messages did not finish: the server says so.
TEST_P(FrameDeadline, APeerThatResetsIsLoggedAsAReset) {
  Cluster cluster;
  auto& server = start_server(cluster, GetParam());
  {
    auto peer = introduce_when_not_busy(cluster, kTrickler);
    peer->close(/*abort=*/true);
  }
  ASSERT_TRUE(server.wait_for_line("connection reset by peer", kRunTimeout)) << server.output();
  EXPECT_EQ(
      server
          .lines_containing("action: serve_connection | result: fail | ip: 127.0.0.1 | error: receive from "
                            "127.0.0.1: connection reset by peer")
          .size(),
      1u)
      << server.output();
  {
    auto peer = introduce_when_not_busy(cluster, kTrickler);
    peer->send(protocol::Finished{});
    ASSERT_EQ(peer->receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
  }
  run_honest_agencies(cluster);
  // The conversations that ended well logged no failure.
  EXPECT_EQ(server.lines_containing("action: serve_connection | result: fail").size(), 1u) << server.output();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, FrameDeadline, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
