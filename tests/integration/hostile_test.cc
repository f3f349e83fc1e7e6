#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <random>
#include <thread>

#include "common/net/errors.h"
#include "common/protocol/codec.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"
#include "tests/support/seed.h"

namespace tp0::testing {
namespace {

using protocol::Ack;
using protocol::AckCode;

constexpr std::size_t kNormalBets = 120;
constexpr std::size_t kNormalWinners = 3;

// Every test: a server in one concurrency setting, a hostile peer, then a normal agency
// that must be served exactly as if the peer had never been there.
class HostilePeers : public ::testing::TestWithParam<const char*> {
 protected:
  Process& start_server(Environment environment = {}) {
    environment.emplace("SERVER_CONCURRENCY", GetParam());
    environment.emplace("SERVER_AGENCIES", "1");
    return cluster_.start_server(environment);
  }

  bool sequential() const { return std::string(GetParam()) == "sequential"; }

  // Runs agency `id` as a real client and checks that every one of its bets was stored
  // and that it learned its winners.
  void expect_normal_agency_served(std::uint32_t id = 1) {
    start_agency(cluster_, id, kNormalBets, kNormalWinners, {{"CLI_BATCH_MAXAMOUNT", "25"}});
    expect_served(cluster_, id, kNormalWinners);
    EXPECT_EQ(bets_per_agency(cluster_.bets_path())[id], kNormalBets);
    EXPECT_TRUE(cluster_.server().running()) << cluster_.server().output();
  }

  // The server's log lines reporting a failed conversation whose error mentions `needle`.
  std::size_t failures_mentioning(const std::string& needle) {
    std::size_t count = 0;
    for (const auto& line : cluster_.server().lines_containing("action: serve_connection | result: fail")) {
      if (line.find(needle) != std::string::npos) ++count;
    }
    return count;
  }

  Cluster cluster_;
};

TEST_P(HostilePeers, FourGigabyteLengthIsRefusedBeforeAnyOfItIsRead) {
  auto& server = start_server();
  RawPeer peer(cluster_, 1);
  const std::vector<std::byte> header(4, std::byte{0xFF});
  peer.send_bytes(header);
  EXPECT_TRUE(peer.closed_by_server());
  ASSERT_TRUE(server.wait_for_line("announces 4294967295 bytes", kStartTimeout)) << server.output();
  expect_normal_agency_served();
}

TEST_P(HostilePeers, FrameCutThenSilenceIsDroppedAtTheIdleTimeoutAndHoldsNobodyForever) {
  auto& server = start_server({{"SERVER_IDLE_TIMEOUT", "1s"}});
  RawPeer peer(cluster_, 9);
  peer.send_first_bytes_of(protocol::Hello{9}, 6);
  ASSERT_TRUE(server.wait_for_line("action: accept_connections | result: success", kStartTimeout));
  // The normal agency arrives while the silent peer is being served; sequentially it
  // waits in the backlog until the timeout frees the server.
  expect_normal_agency_served();
  ASSERT_TRUE(server.wait_for_line("no activity for 1000 ms", kStartTimeout)) << server.output();
  EXPECT_EQ(failures_mentioning("no activity for 1000 ms"), 1u) << server.output();
  EXPECT_TRUE(peer.closed_by_server());
  if (sequential()) {
    const auto lines = split_lines(server.output());
    std::size_t timeout_line = lines.size();
    std::size_t first_batch_line = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].find("no activity") != std::string::npos) timeout_line = std::min(timeout_line, i);
      if (lines[i].find("apuesta_recibida") != std::string::npos)
        first_batch_line = std::min(first_batch_line, i);
    }
    EXPECT_LT(timeout_line, first_batch_line) << "one connection at a time: the silent one went first";
  }
}

TEST_P(HostilePeers, RandomBytesEndOnlyTheirOwnConnection) {
  constexpr int kPeers = 30;
  // A backlog above the burst, so that no connection waits for a SYN retransmission.
  auto& server = start_server({{"SERVER_LISTEN_BACKLOG", "128"}});
  std::mt19937 random(static_cast<std::mt19937::result_type>(test_seed()));
  for (int i = 0; i < kPeers; ++i) {
    std::vector<std::byte> noise(1 + random() % 3000);
    for (auto& byte : noise) byte = static_cast<std::byte>(random());
    RawPeer peer(cluster_, 1);
    peer.send_bytes(noise);
    peer.close();
  }
  ASSERT_TRUE(server.wait_for_lines("action: close_connection", kPeers, kRunTimeout)) << server.output();
  expect_normal_agency_served();
}

TEST_P(HostilePeers, UnknownMessageTypeEndsTheConversation) {
  auto& server = start_server();
  RawPeer peer(cluster_, 1);
  peer.send_bytes(
      std::vector<std::byte>{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}, std::byte{0x63}});
  EXPECT_TRUE(peer.closed_by_server());
  ASSERT_TRUE(server.wait_for_line("action: serve_connection | result: fail", kStartTimeout));
  EXPECT_EQ(failures_mentioning("type 99"), 1u) << server.output();
  expect_normal_agency_served();
}

TEST_P(HostilePeers, BatchWithOneInvalidBetIsRefusedWholeAndNothingIsStored) {
  auto& server = start_server();
  {
    RawPeer peer(cluster_, 1);
    ASSERT_EQ(peer.hello(1), protocol::Message(protocol::Resume{0}));
    protocol::Batch batch = batch_of(1, 0, 0, 6);
    batch.bets[4].birthdate = "1990-02-30";
    peer.send(batch);
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kInvalidBet, 4}));
  }
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: fail | cantidad: 6").size(), 1u)
      << server.output();
  EXPECT_TRUE(bets_per_agency(cluster_.bets_path()).empty()) << "part of a refused batch was stored";
  expect_normal_agency_served();
}

// Positions make every batch land once: sent twice, even pipelined behind itself, it is
// acknowledged and stored once; past a gap, or overlapping stored bets, it is refused and
// the connection ends; the next Hello says where the agency's stream ends.
TEST_P(HostilePeers, TheSameBatchTwiceIsStoredOnceAndAGapOrAnOverlapIsRefused) {
  auto& server = start_server({{"SERVER_AGENCIES", "2"}});
  const auto batch_at = [](std::uint32_t position, std::uint32_t first) {
    return batch_of(2, position, first, 3);
  };
  const auto hello = [&](RawPeer& peer, std::uint32_t stored) {
    ASSERT_EQ(peer.hello(2), protocol::Message(protocol::Resume{stored}));
  };
  {
    RawPeer peer(cluster_, 2);
    hello(peer, 0);
    peer.send_bytes(frames_of({batch_at(0, 0), batch_at(0, 0)}));
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0}));
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0})) << "the copy right behind it";
    peer.send(batch_at(0, 0));
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0})) << "the copy on its own";
    peer.send(batch_at(5, 100));
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOutOfPlace, 0})) << "a gap";
    EXPECT_TRUE(peer.closed_by_server());
  }
  {
    RawPeer peer(cluster_, 2);
    hello(peer, 3);
    peer.send(batch_at(2, 200));
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOutOfPlace, 0})) << "overlapping";
    EXPECT_TRUE(peer.closed_by_server());
  }
  {
    RawPeer peer(cluster_, 2);
    hello(peer, 3);
    peer.send(batch_at(3, 300));
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0}));
    peer.send(protocol::Finished{});
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0}));
  }
  std::vector<std::string> expected;
  for (const std::uint32_t i : {0, 1, 2, 300, 301, 302}) expected.push_back(bet_of(2, i).document + ",1");
  EXPECT_EQ(bet_keys_in_bets_file(cluster_.bets_path(), 2), expected);
  EXPECT_EQ(
      server.lines_containing("action: apuesta_repetida | result: success | cantidad: 3 | agency: 2").size(),
      2u)
      << server.output();
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: success").size(), 2u);
  expect_normal_agency_served();
}

TEST_P(HostilePeers, QueriesForAnotherAgencyOrWithoutBetsLeakNothing) {
  start_server({{"SERVER_AGENCIES", "2"}});
  const auto ask = [&](std::uint32_t hello, std::uint32_t query) {
    RawPeer peer(cluster_, hello);
    EXPECT_EQ(peer.hello(hello), protocol::Message(protocol::Resume{0}));
    peer.send(protocol::WinnersQuery{query});
    return peer.receive();
  };
  EXPECT_EQ(ask(2, 1), protocol::Message(Ack{AckCode::kWrongAgency, 0})) << "before the draw";
  {
    // Agency 2 finishes without a bet.
    RawPeer peer(cluster_, 2);
    EXPECT_EQ(peer.hello(2), protocol::Message(protocol::Resume{0}));
    peer.send(protocol::Finished{});
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0}));
  }
  expect_normal_agency_served(1);
  EXPECT_EQ(ask(2, 1), protocol::Message(Ack{AckCode::kWrongAgency, 0})) << "after the draw";
  EXPECT_EQ(ask(2, 2), protocol::Message(protocol::Winners{true, {}})) << "no bets, no winners";
}

TEST_P(HostilePeers, ThousandConnectionsOpenedAndDroppedLeakNothing) {
  constexpr int kConnections = 1000;
  // Limits no burst can reach: on a loaded machine children pile up faster than they end,
  // and a connection refused at a limit (ConnectionsBeyondTheChildLimitAreRefusedNever-
  // Forked) is never served, so it would log no close_connection.
  auto& server = start_server({{"SERVER_LISTEN_BACKLOG", "128"},
                               {"SERVER_MAX_CHILDREN", std::to_string(2 * kConnections)},
                               {"SERVER_MAX_INTRODUCTIONS_PER_NETWORK", std::to_string(kConnections)}});
  const std::size_t descriptors_before = open_descriptors_of(server.pid());
  for (int i = 0; i < kConnections; ++i) {
    // Half leave before saying anything, half after the TLS handshake (when the server
    // speaks TLS); in each half, half with a reset, half with an orderly close.
    RawPeer peer = i % 4 < 2 ? RawPeer(cluster_.port(), RawPeer::PlainText{}) : RawPeer(cluster_, 1);
    peer.close(/*abort=*/i % 2 == 0);
  }
  // The agency's connection comes after all of them. Every connection the server took it
  // has closed; a process server refuses at once, unserved, one that left before saying
  // anything while others waited behind it.
  expect_normal_agency_served();
  const std::size_t served = server.lines_containing("action: accept_connections | result: success").size();
  ASSERT_TRUE(server.wait_for_lines("action: close_connection", served, kRunTimeout)) << server.output();
  EXPECT_TRUE(connection_children_reaped(server)) << "children left behind";
  EXPECT_EQ(open_descriptors_of(server.pid()), descriptors_before) << "descriptors leaked";
  // Each of the thousand was served or refused: the refusals' counts are all logged by
  // the shutdown.
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
  std::size_t refused = 0;
  for (const auto& line : server.lines_containing("action: accept_connections | result: fail")) {
    refused += std::stoul(field_of(line, "refused"));
  }
  EXPECT_GE(served + refused, static_cast<std::size_t>(kConnections) + 1) << server.output();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, HostilePeers, ::testing::Values("sequential", "process"));

// Process mode only: a sequential server serves one connection at a time by design and
// leaves the others in the backlog.
// A member has one conversation at a time: when a second connection proves the same
// agency (its client reconnected, or whoever holds its key), the first is ended, and what
// it sends after that is never stored; the second goes on from where the stream ends.
TEST(HostilePeersProcess, ANewConversationOfAMemberReplacesTheOlderOne) {
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "1"}});
  const auto batch_at = [](std::uint32_t position) { return batch_of(1, position, position, 4); };
  RawPeer first(cluster, 1);
  ASSERT_EQ(first.hello(1), protocol::Message(protocol::Resume{0}));
  first.send(batch_at(0));
  ASSERT_EQ(first.receive(), protocol::Message(Ack{AckCode::kOk, 0}));

  RawPeer second(cluster, 1);
  ASSERT_EQ(second.hello(1), protocol::Message(protocol::Resume{4}));
  ASSERT_TRUE(
      server.wait_for_line("action: replace_conversation | result: success | agency: 1", kStartTimeout))
      << server.output();
  EXPECT_TRUE(first.closed_by_server());
  second.send(batch_at(4));
  EXPECT_EQ(second.receive(), protocol::Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(bet_keys_in_bets_file(cluster.bets_path(), 1).size(), 8U);
}

// In both settings: with TLS the server closes such a connection without a word (its
// client cannot read a plain answer before the handshake), in plain text it answers busy.
// Members fill every child the strangers' half leaves them, so the refusals are for
// SERVER_MAX_CHILDREN; they are logged once, counted, not once each.
TEST(HostilePeersProcess, ConnectionsBeyondTheChildLimitAreRefusedNeverForked) {
  constexpr int kLimit = 3;
  constexpr int kSurplus = 5;
  for (const bool tls : {true, false}) {
    SCOPED_TRACE(tls ? "TLS" : "plain text");
    Cluster cluster;
    auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"},
                                         {"SERVER_AGENCIES", std::to_string(kLimit + 1)},
                                         {"SERVER_MAX_CHILDREN", std::to_string(kLimit + 1)},
                                         {"SERVER_TLS", tls ? "on" : "off"}});
    // One of the SERVER_MAX_CHILDREN children is the waiting room; kLimit serve members
    // 1 to kLimit, who introduce themselves and then say nothing.
    std::vector<std::unique_ptr<RawPeer>> holders;
    holders.reserve(kLimit);
    for (std::uint32_t agency = 1; agency <= kLimit; ++agency) {
      holders.push_back(std::make_unique<RawPeer>(cluster, agency));
      ASSERT_EQ(holders.back()->hello(agency), protocol::Message(protocol::Resume{0}));
    }
    for (int i = 0; i < kSurplus; ++i) {
      if (tls) {
        EXPECT_THROW(RawPeer refused(cluster, kLimit + 1), net::NetError)
            << "the server closed during the handshake";
        continue;
      }
      RawPeer refused(cluster, kLimit + 1);
      EXPECT_EQ(refused.receive(), protocol::Message(Ack{AckCode::kServerBusy, 0}));
      EXPECT_TRUE(refused.closed_by_server());
    }
    EXPECT_EQ(connection_children_of(server).size(), static_cast<std::size_t>(kLimit));
    EXPECT_EQ(children_of(server.pid()).size(), static_cast<std::size_t>(kLimit + 1));
    const auto refusals = server.lines_containing("action: accept_connections | result: fail");
    ASSERT_EQ(refusals.size(), 1U) << server.output();
    EXPECT_NE(
        refusals[0].find("refused: 1 | error: refused: 4 children already running (SERVER_MAX_CHILDREN)"),
        std::string::npos)
        << refusals[0];

    // A real agency arriving now is told the server is busy, waits, and is served once a
    // holder leaves.
    const auto data =
        write_agency_file(cluster.dir().file("agency.csv"), kLimit + 1, kNormalBets, kNormalWinners);
    auto& client =
        cluster.start_client(kLimit + 1, {{"CLI_DATA_FILE", data.path}, {"CLI_TLS", tls ? "on" : "off"}});
    ASSERT_TRUE(client.wait_for_line("action: connect | result: in_progress", kStartTimeout))
        << client.output();
    EXPECT_NE(client.lines_containing("in_progress")[0].find("server busy"), std::string::npos);
    // The holders finish (with no bets) and leave, so that the draw can be held.
    for (auto& holder : holders) {
      holder->send(protocol::Finished{});
      ASSERT_EQ(holder->receive(), protocol::Message(Ack{AckCode::kOk, 0}));
    }
    holders.clear();
    ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
    EXPECT_EQ(bets_per_agency(cluster.bets_path())[kLimit + 1], kNormalBets);
    EXPECT_TRUE(client.lines_containing("result: fail").empty()) << client.output();
    // With TLS the holders leave without reading the session ticket sent after their
    // handshake, so their kernel resets the connection, and the server says so; nothing
    // else failed.
    for (const auto& line : server.lines_containing("action: serve_connection | result: fail")) {
      EXPECT_TRUE(tls && line.find("connection reset by peer") != std::string::npos) << line;
    }
  }
}

// A holder of an agency's key that keeps a conversation going and never finishes: after its
// Hello, a WinnersQuery every little while (answered NotReady, or its winners once the draw
// is held). Cut, it connects again at once, until stopped.
class KeyHolder {
 public:
  static constexpr std::chrono::milliseconds kPace{100};

  KeyHolder(Cluster& cluster, std::uint32_t agency)
      : thread_([this, &cluster, agency] {
          while (!stop_) {
            try {
              RawPeer peer(cluster, agency);
              const auto answer = peer.hello(agency);
              if (!answer || !std::holds_alternative<protocol::Resume>(*answer)) continue;
              ++conversations_;
              while (!stop_) {
                peer.send(protocol::WinnersQuery{agency});
                if (!peer.receive()) break;
                // The attack's rhythm: well within the idle timeout, never finishing.
                std::this_thread::sleep_for(kPace);
              }
            } catch (const std::exception&) {
              // Cut by the server: at once again.
            }
          }
        }) {}
  ~KeyHolder() { stop(); }
  KeyHolder(const KeyHolder&) = delete;
  KeyHolder& operator=(const KeyHolder&) = delete;

  // Stops once the server ends the conversation it is in (within the budget).
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t conversations() const { return conversations_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> conversations_{0};
  std::thread thread_;  // last: it uses the members above
};

constexpr char kBudgetSpent[] = "conversation (SERVER_CONVERSATION_BUDGET)";

// One connection at a time: a key holder that says something every little while would
// hold a sequential server for ever; its budget ends each of its conversations, and the
// honest agencies, each waiting in the backlog for at most a budget, play their round.
// Their patience (3 s, each wait 1 s) is far shorter than the holder would hold the
// server without a budget.
TEST(SequentialBudget, AKeyHolderThatNeverFinishesHoldsTheServerForNoMoreThanItsBudget) {
  constexpr std::uint32_t kAgencies = 3;
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "sequential"},
                                       {"SERVER_AGENCIES", std::to_string(kAgencies)},
                                       {"SERVER_CONVERSATION_BUDGET", "300ms"}});
  KeyHolder holder(cluster, kAgencies);
  ASSERT_TRUE(server.wait_for_line("action: accept_connections | result: success", kStartTimeout));
  const auto started = std::chrono::steady_clock::now();
  std::vector<AgencyData> agencies;
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    agencies.push_back(start_agency(
        cluster, id, 200, 2,
        {{"CLI_BATCH_MAXAMOUNT", "25"}, {"CLI_SERVER_PATIENCE", "3s"}, {"CLI_SERVER_TIMEOUT", "1s"}}));
  }
  expect_round_complete(cluster, agencies);
  const auto round = std::chrono::steady_clock::now() - started;
  holder.stop();
  std::cout << "round with a key holder: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(round).count() << " ms, "
            << holder.conversations() << " of its conversations\n";
  EXPECT_GE(holder.conversations(), 2u) << "the holder was never cut";
  EXPECT_FALSE(server.lines_containing(kBudgetSpent).empty()) << server.output();
}

// An honest agency whose conversation outlasts its budget loses nothing: the server answers
// what it read and ends it, and the client goes on where the next Resume says, every bet
// stored once, in the order of its file.
TEST(SequentialBudget, AnAgencyCutByItsBudgetResumesAndEveryBetIsStoredOnce) {
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "sequential"},
                                       {"SERVER_AGENCIES", "1"},
                                       {"SERVER_CONVERSATION_BUDGET", "20ms"}});
  const AgencyData agency = start_agency(cluster, 1, 1000, 3, {{"CLI_BATCH_MAXAMOUNT", "5"}});
  expect_round_complete(cluster, {agency});
  const std::size_t cuts = server.lines_containing(kBudgetSpent).size();
  std::cout << "conversations cut by the budget: " << cuts << "\n";
  EXPECT_GE(cuts, 1u) << "never cut: the test proves nothing";
  EXPECT_FALSE(cluster.client(1).lines_containing("action: resume | result: success").empty())
      << cluster.client(1).output();
}

}  // namespace
}  // namespace tp0::testing
