// The waiting room (process mode) under what can go wrong around it: killed while agencies
// wait for the draw, and agencies that read their answer slowly or not at all beside
// honest ones, whose round must still complete, promptly.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/net/errors.h"
#include "common/protocol/messages.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"

namespace tp0::testing {
namespace {

using protocol::Ack;
using protocol::AckCode;
using protocol::Message;
using std::chrono::milliseconds;

const Message kOk = Ack{AckCode::kOk, 0};
constexpr std::size_t kBatchBets = 100;

// Says Hello as `agency` and stores `bets` bets, all winners when `winning`.
void introduce_and_bet(RawPeer& peer, std::uint32_t agency, std::size_t bets, bool winning) {
  ASSERT_EQ(peer.hello(agency), Message(protocol::Resume{0}));
  for (std::size_t first = 0; first < bets; first += kBatchBets) {
    const std::size_t count = std::min(kBatchBets, bets - first);
    const auto position = static_cast<std::uint32_t>(first);
    peer.send(batch_of(agency, position, position, count, winning ? count : 0));
    ASSERT_EQ(peer.receive(), kOk);
  }
}

// The µs since 1970 at which `client` had its winners, from its summary line.
std::int64_t winners_unix_us(const Process& client) {
  const auto lines = client.lines_containing("action: lottery_summary");
  return lines.empty() ? 0 : std::stoll(field_of(lines.back(), "winners_unix_us"));
}

std::int64_t unix_us(std::chrono::system_clock::time_point moment) {
  return std::chrono::duration_cast<std::chrono::microseconds>(moment.time_since_epoch()).count();
}

// The pid of the waiting room the server started last.
int current_room(const Process& server) {
  return std::stoi(
      field_of(server.lines_containing("action: open_waiting_room | result: success").back(), "pid"));
}

class WaitingRoom : public ::testing::Test {
 protected:
  // Starts a process server of `agencies` agencies, and the project's client of each of
  // agencies 1 to `honest`, agency K with 100 + K bets of which K win.
  Process& start_round(std::uint32_t agencies, std::uint32_t honest) {
    Process& server = cluster_.start_server(
        {{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", std::to_string(agencies)}});
    for (std::uint32_t id = 1; id <= honest; ++id) {
      agencies_.push_back(start_agency(cluster_, id, 100 + id, id,
                                       {{"CLI_BATCH_MAXAMOUNT", "20"}, {"CLI_LOG_LEVEL", "INFO"}}));
      clients_.push_back(&cluster_.client(id));
    }
    return server;
  }

  // Every honest client exits 0 with its own winners and no failure, and its bets are
  // stored once, in order.
  void expect_honest_agencies_served() {
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      const auto id = static_cast<std::uint32_t>(i + 1);
      expect_served(cluster_, id, agencies_[i].winners);
      EXPECT_EQ(bet_keys_in_bets_file(cluster_.bets_path(), id), bet_keys_of_agency_file(agencies_[i].path))
          << "agency " << id;
    }
  }

  // The latest moment an honest client had its winners, in µs since 1970.
  std::int64_t last_honest_winners_unix_us() const {
    std::int64_t last = 0;
    for (const Process* client : clients_) last = std::max(last, winners_unix_us(*client));
    return last;
  }

  Cluster cluster_;
  std::vector<AgencyData> agencies_;
  std::vector<Process*> clients_;
};

// The sockets `pid` has open, as the names /proc gives them ("socket:[inode]").
std::set<std::string> sockets_of(int pid) {
  std::set<std::string> sockets;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (target.starts_with("socket:")) sockets.insert(target);
  }
  return sockets;
}

// Waits until the server has handed `count` connections to its waiting room in all and
// `room` holds `holding` sockets that the server does not (the agencies' connections).
// Then the room shares one socket with the server, its end of the hand-back pair: none
// of those the accept loop held when it forked the room (the listener, a connection).
void wait_until_room_holds(Process& server, std::size_t count, int room, std::size_t holding) {
  ASSERT_TRUE(server.wait_for_lines("action: hand_back_connection", count, kRunTimeout)) << server.output();
  const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
  while (true) {
    const std::set<std::string> servers = sockets_of(server.pid());
    std::size_t held = 0;
    std::size_t shared = 0;
    for (const auto& socket : sockets_of(room)) ++(servers.contains(socket) ? shared : held);
    if (held == holding) {
      EXPECT_EQ(shared, 1u) << "room " << room << " kept sockets of the accept loop";
      return;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "room " << room << " did not take the connections";
    std::this_thread::yield();
  }
}

// SIGKILL to the waiting room while the honest agencies wait for the draw, twice: the
// server starts it again each time (logged), every agency it held sees its connection
// closed and asks again: before the draw it is told to wait again and handed to the new
// room; after the draw (held while the second room was stopped) it gets its winners.
// The round completes with every agency's right winners and each bet stored once.
TEST_F(WaitingRoom, KilledItIsStartedAgainAndEveryAgencyIsAnswered) {
  constexpr std::uint32_t kHonest = 4;
  constexpr std::uint32_t kLast = kHonest + 1;  // the test's own, whose Finished holds the draw
  Process& server = start_round(kLast, kHonest);
  const int first_room = current_room(server);
  wait_until_room_holds(server, kHonest, first_room, kHonest);

  const auto first_kill = std::chrono::steady_clock::now();
  ::kill(first_room, SIGKILL);
  ASSERT_TRUE(server.wait_for_line("restarted: yes", kRunTimeout)) << server.output();
  const int second_room = current_room(server);
  EXPECT_NE(second_room, first_room);
  // Each agency was told WaitForDraw again, and the new room holds it.
  wait_until_room_holds(server, std::size_t{2} * kHonest, second_room, kHonest);
  const auto back_waiting = std::chrono::steady_clock::now() - first_kill;

  // The draw is held while the room cannot close anything, then the room dies.
  ::kill(second_room, SIGSTOP);
  RawPeer last(cluster_, kLast);
  introduce_and_bet(last, kLast, 3, false);
  last.send(protocol::Finished{});
  ASSERT_EQ(last.receive(), kOk);
  ASSERT_TRUE(server.wait_for_line("action: sorteo | result: success", kRunTimeout)) << server.output();
  const auto second_kill = std::chrono::system_clock::now();
  ::kill(second_room, SIGKILL);
  expect_honest_agencies_served();
  const std::int64_t answered_us = last_honest_winners_unix_us() - unix_us(second_kill);
  last.send(protocol::WinnersQuery{kLast});
  EXPECT_EQ(last.receive(), Message(protocol::Winners{true, {}}));

  ASSERT_TRUE(server.wait_for_lines("restarted: yes", 2, kRunTimeout)) << server.output();
  for (const int room : {first_room, second_room}) {
    EXPECT_EQ(server
                  .lines_containing("action: child_exit | result: fail | pid: " + std::to_string(room) +
                                    " | signal: " + std::to_string(SIGKILL))
                  .size(),
              1u)
        << server.output();
  }
  EXPECT_EQ(server.lines_containing("action: serve_connection | result: fail").size(), 0u) << server.output();
  std::cerr << "figure: room killed before the draw: all " << kHonest << " agencies waiting again after "
            << std::chrono::duration_cast<milliseconds>(back_waiting).count() << " ms\n"
            << "figure: room killed after the draw: all " << kHonest << " agencies had their winners after "
            << answered_us / 1000 << " ms\n";
  EXPECT_LT(answered_us, 5'000'000) << "the agencies were slow to ask again";
}

// Killed again and again, the room is restarted after ever longer pauses (100 ms, 200 ms,
// ...); killed during one, the server is started again on its files and port. The room
// lets go of what it inherited from the accept loop before its pause: stopped there, with
// the server gone, it holds no listener, and the new server listens and resumes the round.
TEST_F(WaitingRoom, KilledInItsRestartPauseItHoldsNoListener) {
  Process& server = cluster_.start_server({{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "2"}});
  {
    RawPeer peer(cluster_, 1);
    introduce_and_bet(peer, 1, kBatchBets, false);
  }
  constexpr std::size_t kKills = 4;  // the last restart pauses 800 ms
  for (std::size_t kill = 1; kill <= kKills; ++kill) {
    ::kill(current_room(server), SIGKILL);
    ASSERT_TRUE(server.wait_for_lines("restarted: yes", kill, kRunTimeout)) << server.output();
  }
  // Asleep in its pause (or past it: then it let go all the same), and kept there, so that
  // its death signal cannot free the port before the new server binds it.
  const int room = current_room(server);
  const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
  while (state_of(room) != 'S') {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "room " << room << " never slept";
    std::this_thread::yield();
  }
  ::kill(room, SIGSTOP);
  const struct KillOnExit {
    explicit KillOnExit(int stopped) : pid(stopped) {}
    KillOnExit(const KillOnExit&) = delete;
    KillOnExit& operator=(const KillOnExit&) = delete;
    ~KillOnExit() { ::kill(pid, SIGKILL); }
    int pid;
  } stopped_room(room);
  server.send_signal(SIGKILL);
  ASSERT_TRUE(server.wait_exit(kRunTimeout).has_value());

  // Throws, with the server's output (bind: Address already in use), unless it listens.
  cluster_.restart_server({{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "2"}});
  RawPeer peer(cluster_, 1);
  EXPECT_EQ(peer.hello(1), Message(protocol::Resume{static_cast<std::uint32_t>(kBatchBets)}));
}

// A member that asks for its winners and never reads them (its socket's receive buffer
// small), and one that reads its answer a byte a second, both with 10,000 winners (an
// answer of about 100 kB, far more than their buffers hold): the honest agencies still have
// their winners within a second of the draw, since each answer is written by the child of
// its own connection. (Every answer reads the whole draw record, so more winners would
// time that reading, on a loaded machine, rather than the slow readers.)
// Without the slow readers (the parameter false) they read their answers whole, for the
// figure to compare with.
// Sets `flag` when it goes out of scope.
class SetOnExit {
 public:
  explicit SetOnExit(std::atomic<bool>& flag) : flag_(flag) {}
  ~SetOnExit() { flag_ = true; }
  SetOnExit(const SetOnExit&) = delete;
  SetOnExit& operator=(const SetOnExit&) = delete;

 private:
  std::atomic<bool>& flag_;
};

class SlowReaders : public WaitingRoom, public ::testing::WithParamInterface<bool> {};

TEST_P(SlowReaders, DelayNoOtherAgency) {
  constexpr std::uint32_t kHonest = 3;
  constexpr std::uint32_t kNeverReads = kHonest + 1;  // its Finished holds the draw
  constexpr std::uint32_t kByteASecond = kHonest + 2;
  constexpr std::size_t kManyWinners = 10'000;
  constexpr int kSmallReceiveBuffer = 4096;
  const bool slow = GetParam();
  Process& server = start_round(kByteASecond, kHonest);
  const auto connect = [&](std::uint32_t agency) -> std::unique_ptr<RawPeer> {
    if (slow) return std::make_unique<RawPeer>(cluster_, agency, kSmallReceiveBuffer);
    return std::make_unique<RawPeer>(cluster_, agency);
  };
  // Reads a whole answer of Winners parts; returns how many documents it held.
  const auto read_answer = [](RawPeer& peer) {
    std::size_t documents = 0;
    while (true) {
      const auto part = peer.receive();
      if (!part || !std::holds_alternative<protocol::Winners>(*part)) return documents;
      documents += std::get<protocol::Winners>(*part).documents.size();
      if (std::get<protocol::Winners>(*part).last) return documents;
    }
  };

  // The byte-a-second reader waits for the draw as the client does, then asks again.
  auto waiting = std::make_unique<RawPeer>(cluster_, kByteASecond);
  introduce_and_bet(*waiting, kByteASecond, kManyWinners, true);
  waiting->send(protocol::Finished{});
  ASSERT_EQ(waiting->receive(), kOk);
  waiting->send(protocol::WinnersQuery{kByteASecond});
  ASSERT_EQ(waiting->receive(), Message(protocol::WaitForDraw{}));
  waiting->end_tls();
  std::atomic<bool> honest_done{false};
  std::size_t byte_a_second_documents = 0;
  std::jthread byte_a_second([&] {
    if (!waiting->closed_by_server()) return;
    auto again = connect(kByteASecond);
    again->send(protocol::Hello{kByteASecond});
    again->send(protocol::WinnersQuery{kByteASecond});
    if (again->receive() != Message(protocol::Resume{kManyWinners})) return;
    if (!slow) {
      byte_a_second_documents = read_answer(*again);
      return;
    }
    std::byte byte{};
    while (!honest_done && again->read_some({&byte, 1}) == 1) std::this_thread::sleep_for(milliseconds(1000));
  });
  // However the test ends, the reader stops, and is joined.
  const SetOnExit stop_reading{honest_done};

  auto never_reads = connect(kNeverReads);
  introduce_and_bet(*never_reads, kNeverReads, kManyWinners, true);
  // Every other agency waits for the draw.
  ASSERT_TRUE(server.wait_for_lines("action: wait_for_draw", kHonest + 1, kRunTimeout)) << server.output();
  never_reads->send(protocol::Finished{});
  // Seen within the log's polling (5 ms) of its writing: the answers are timed from there.
  ASSERT_TRUE(server.wait_for_line("action: sorteo | result: success", kRunTimeout)) << server.output();
  const auto draw = std::chrono::system_clock::now();
  ASSERT_EQ(never_reads->receive(), kOk);
  never_reads->send(protocol::WinnersQuery{kNeverReads});
  const std::size_t never_reads_documents = slow ? 0 : read_answer(*never_reads);

  expect_honest_agencies_served();
  const std::int64_t answered_us = last_honest_winners_unix_us() - unix_us(draw);
  honest_done = true;
  byte_a_second.join();
  if (!slow) {
    EXPECT_EQ(never_reads_documents, kManyWinners);
    EXPECT_EQ(byte_a_second_documents, kManyWinners);
  }
  std::cerr << "figure: " << (slow ? "with" : "without") << " the slow readers, the last of " << kHonest
            << " honest agencies had its winners " << answered_us / 1000 << " ms after the draw\n";
  EXPECT_LT(answered_us, 1'000'000);
}

INSTANTIATE_TEST_SUITE_P(WaitingRoom, SlowReaders, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? std::string("SlowReaders") : std::string("PromptReaders");
                         });

}  // namespace
}  // namespace tp0::testing
