// The round's rules (docs/guarantees.md, "The round"), each broken on purpose by a scripted peer,
// then checked by honest agencies that must still be served right.
#include <gtest/gtest.h>

#include <csignal>
#include <limits>
#include <memory>
#include <thread>

#include "common/net/errors.h"
#include "common/protocol/codec.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"

namespace tp0::testing {
namespace {

using protocol::Ack;
using protocol::AckCode;
using protocol::Message;

const Message kOk = Ack{AckCode::kOk, 0};
const Message kBettingClosed = Ack{AckCode::kBettingClosed, 0};
// What each honest agency of these rounds bets, and how many of its bets win.
constexpr std::size_t kBets = 60;
constexpr std::size_t kWinners = 2;

// The server's line refusing `agency`, which its certificate names too, for being no
// member of the round.
std::string refusal_of_outsider(std::uint32_t agency) {
  const std::string id = std::to_string(agency);
  return "action: identify | result: fail | ip: 127.0.0.1 | certificate_agency: " + id +
         " | claimed_agency: " + id + " | error: not one of the round's agencies";
}

class Round : public ::testing::TestWithParam<const char*> {
 protected:
  Process& start_server(std::uint32_t agencies, Environment environment = {}) {
    environment.emplace("SERVER_CONCURRENCY", GetParam());
    environment.emplace("SERVER_AGENCIES", std::to_string(agencies));
    return cluster_.start_server(environment);
  }

  bool sequential() const { return std::string(GetParam()) == "sequential"; }

  // A peer that said Hello as `agency` and was let in.
  std::unique_ptr<RawPeer> introduce(std::uint32_t agency) {
    auto peer = std::make_unique<RawPeer>(cluster_, agency);
    const auto answer = peer->hello(agency);
    EXPECT_TRUE(answer && std::holds_alternative<protocol::Resume>(*answer)) << "Hello of agency " << agency;
    return peer;
  }

  // Starts agency `id` as the project's client, with kBets bets of which kWinners win.
  void start_honest(std::uint32_t id) {
    start_agency(cluster_, id, kBets, kWinners, {{"CLI_BATCH_MAXAMOUNT", "25"}});
  }

  // Waits until agency `id`, started by start_honest(), said it finished.
  void await_finished(std::uint32_t id) {
    ASSERT_TRUE(cluster_.server().wait_for_line(
        "action: agency_finished | result: success | agency: " + std::to_string(id), kRunTimeout))
        << cluster_.server().output();
  }

  // Waits until agency `id` exited 0 with all its bets stored and its winners learned.
  void expect_honest_served(std::uint32_t id) {
    expect_served(cluster_, id, kWinners);
    EXPECT_EQ(bets_per_agency(cluster_.bets_path())[id], kBets);
  }

  // The honest agencies 1 and 2 of a round of two: no draw until both finished, then one.
  void expect_honest_round_of_two() {
    start_honest(1);
    await_finished(1);
    EXPECT_EQ(draws(), 0u) << cluster_.server().output();
    start_honest(2);
    expect_honest_served(1);
    expect_honest_served(2);
    EXPECT_EQ(draws(), 1u) << cluster_.server().output();
  }

  std::size_t draws() {
    return cluster_.server().lines_containing("action: sorteo | result: success").size();
  }

  Cluster cluster_;
};

TEST_P(Round, AgenciesOutsideTheRoundAreRefusedAtTheirFirstMessage) {
  constexpr std::uint32_t kAgencies = 2;
  auto& server = start_server(kAgencies);
  const std::uint32_t outsiders[] = {0, kAgencies + 1, std::numeric_limits<std::uint32_t>::max()};
  for (const std::uint32_t outsider : outsiders) {
    // With a certificate for the id it claims, as if the CA had signed one: only the
    // round's membership can refuse it.
    RawPeer peer(cluster_, outsider);
    // Everything an outsider could want, in one write: only the refusal comes back.
    peer.send_bytes(frames_of({protocol::Hello{outsider}, batch_of(outsider, 0, 0, 3, 3),
                               protocol::Finished{}, protocol::WinnersQuery{outsider}}));
    EXPECT_EQ(peer.receive(), Message(Ack{AckCode::kUnknownAgency, 0})) << outsider;
    EXPECT_TRUE(peer.closed_by_server()) << outsider;
    EXPECT_EQ(server.lines_containing(refusal_of_outsider(outsider)).size(), 1u) << server.output();
  }
  EXPECT_TRUE(bets_per_agency(cluster_.bets_path()).empty()) << "an outsider stored a bet";
  expect_honest_round_of_two();
}

TEST_P(Round, MadeUpAgenciesThatSayFinishedHoldNoDraw) {
  auto& server = start_server(2);
  for (std::uint32_t outsider = 101; outsider <= 105; ++outsider) {
    RawPeer peer(cluster_, outsider);
    peer.send_bytes(frames_of({protocol::Hello{outsider}, protocol::Finished{}}));
    EXPECT_EQ(peer.receive(), Message(Ack{AckCode::kUnknownAgency, 0}));
    EXPECT_TRUE(peer.closed_by_server());
  }
  // A message without a Hello, naming a real agency, is no way in either.
  RawPeer sly(cluster_, 1);
  sly.send(protocol::Finished{});
  EXPECT_EQ(sly.receive(), Message(Ack{AckCode::kUnexpectedMessage, 0}));
  EXPECT_TRUE(sly.closed_by_server());
  RawPeer slier(cluster_, 1);
  slier.send(batch_of(1, 0, 0, 2));
  EXPECT_EQ(slier.receive(), Message(Ack{AckCode::kUnexpectedMessage, 0}));
  EXPECT_TRUE(slier.closed_by_server());
  EXPECT_TRUE(bets_per_agency(cluster_.bets_path()).empty());
  EXPECT_EQ(draws(), 0u) << server.output();
  expect_honest_round_of_two();
}

TEST_P(Round, AConnectionSpeaksForTheAgencyOfItsHelloOnly) {
  start_server(2);
  const Message wrong_agency = Ack{AckCode::kWrongAgency, 0};
  {
    auto peer = introduce(1);
    peer->send(batch_of(2, 0, 0, 3, 3));
    EXPECT_EQ(peer->receive(), wrong_agency);
    EXPECT_TRUE(peer->closed_by_server());
  }
  {
    auto peer = introduce(1);
    peer->send_bytes(frames_of({protocol::Hello{2}, protocol::Finished{}}));
    EXPECT_EQ(peer->receive(), Message(Ack{AckCode::kUnexpectedMessage, 0})) << "a second Hello";
    EXPECT_TRUE(peer->closed_by_server()) << "the Finished after a second identity was served";
  }
  {
    auto peer = introduce(1);
    peer->send(protocol::WinnersQuery{2});
    EXPECT_EQ(peer->receive(), wrong_agency);
    EXPECT_TRUE(peer->closed_by_server());
  }
  EXPECT_TRUE(bets_per_agency(cluster_.bets_path()).empty());
  expect_honest_round_of_two();
}

TEST_P(Round, BetsOfAnAgencyThatFinishedAreRefusedOnAnyConnection) {
  auto& server = start_server(2);
  {
    auto peer = introduce(1);
    peer->send(batch_of(1, 0, 0, 3, 1));
    EXPECT_EQ(peer->receive(), kOk);
    peer->send(protocol::Finished{});
    EXPECT_EQ(peer->receive(), kOk);
    // Pipelined right behind the Finished, and on the same connection: refused.
    peer->send(batch_of(1, 0, 100, 4, 4));
    EXPECT_EQ(peer->receive(), kBettingClosed);
    peer->send(protocol::Finished{});
    EXPECT_EQ(peer->receive(), kOk) << "saying finished again on the same connection is harmless";
  }
  {
    auto peer = introduce(1);
    peer->send(batch_of(1, 0, 200, 5, 5));
    EXPECT_EQ(peer->receive(), kBettingClosed);
    // Where the agency's stored bets end: nothing but the closed stream refuses it.
    peer->send(protocol::SingleBet{bet_of(1, 300, true), 3});
    EXPECT_EQ(peer->receive(), kBettingClosed);
    peer->send(protocol::Finished{});
    EXPECT_EQ(peer->receive(), kOk) << "saying finished again is harmless";
  }
  // Each Finished was acknowledged after the barrier counted it, and the draw would be
  // logged before that acknowledgement: so no draw means agency 1 was counted once.
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: fail | cantidad: 4").size(), 1u)
      << server.output();
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: fail | cantidad: 5").size(), 1u);
  EXPECT_EQ(bets_per_agency(cluster_.bets_path())[1], 3u);
  EXPECT_EQ(draws(), 0u);
  start_honest(2);
  expect_honest_served(2);
  EXPECT_EQ(draws(), 1u);
  EXPECT_EQ(bets_per_agency(cluster_.bets_path())[1], 3u);
  auto peer = introduce(1);
  peer->send(protocol::WinnersQuery{1});
  EXPECT_EQ(peer->receive(), Message(protocol::Winners{true, {"30000000"}}));
}

// The project's client run again for an agency that already finished: with the same file
// it resumes past the bets the server holds, sends none of them again and waits for its
// winners; with bets added to the file, those are refused, it says why and exits 1.
TEST_P(Round, TheClientOfAnAgencyThatFinishedResumesOrIsToldBettingIsClosed) {
  start_server(2);
  start_honest(1);
  await_finished(1);
  const auto run_again = [&](const std::string& data_file, const std::string& log) {
    return std::make_unique<Process>(
        TP0_CLIENT_BIN,
        cluster_.client_environment(1, {{"CLI_DATA_FILE", data_file}, {"CLI_BATCH_MAXAMOUNT", "25"}}),
        cluster_.dir().path(), cluster_.dir().file(log));
  };
  // Beside the first run, which waits for the draw: the file with one more bet.
  const std::string longer = cluster_.dir().file("agency-1-longer.csv");
  write_file(longer, read_file(cluster_.dir().file("agency-1.csv")) + "Ana,Paz,39999999,1990-05-17,7574\n");
  auto more = run_again(longer, "client1-more.log");
  ASSERT_EQ(more->wait_exit(kRunTimeout), 1) << more->output();
  EXPECT_NE(more->output().find("betting is closed"), std::string::npos) << more->output();
  EXPECT_TRUE(more->output().find("apuestas_almacenadas: 60") != std::string::npos) << more->output();
  start_honest(2);
  expect_honest_served(2);
  expect_honest_served(1);
  // After the draw, the same file once more.
  auto same = run_again(cluster_.dir().file("agency-1.csv"), "client1-same.log");
  ASSERT_EQ(same->wait_exit(kRunTimeout), 0) << same->output();
  EXPECT_EQ(same->lines_containing("action: resume | result: success | apuestas_almacenadas: 60").size(), 1u);
  EXPECT_EQ(same->lines_containing("action: consulta_ganadores | result: success | cant_ganadores: 2").size(),
            1u);
  EXPECT_TRUE(same->lines_containing("action: batch_enviado").empty()) << "a stored bet was sent again";
  EXPECT_EQ(bets_per_agency(cluster_.bets_path())[1], 60u) << "the later runs stored bets";
}

TEST_P(Round, AfterTheDrawNoBetEntersAndEveryAnswerIsTheSameBytes) {
  start_server(1);
  std::vector<std::byte> first_answer;
  {
    auto peer = introduce(1);
    peer->send(batch_of(1, 0, 0, 10, 2));
    EXPECT_EQ(peer->receive(), kOk);
    peer->send(protocol::Finished{});
    EXPECT_EQ(peer->receive(), kOk);
    ASSERT_TRUE(cluster_.server().wait_for_line("action: sorteo | result: success", kStartTimeout));
    peer->send(protocol::WinnersQuery{1});
    const auto answer = peer->receive();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(*answer, Message(protocol::Winners{true, {"30000000", "30000001"}}));
    first_answer = frame_of(*answer);
  }
  {
    // A winning bet placed after the draw, on a new connection: refused, and no answer changes.
    auto peer = introduce(1);
    peer->send(batch_of(1, 0, 50, 3, 3));
    EXPECT_EQ(peer->receive(), kBettingClosed);
    peer->send(protocol::SingleBet{bet_of(1, 60, true), 10});
    EXPECT_EQ(peer->receive(), kBettingClosed);
    for (int ask = 0; ask < 3; ++ask) {
      peer->send(protocol::WinnersQuery{1});
      const auto answer = peer->receive();
      ASSERT_TRUE(answer.has_value());
      EXPECT_EQ(frame_of(*answer), first_answer) << "answer " << ask + 2;
    }
  }
  EXPECT_EQ(bets_per_agency(cluster_.bets_path())[1], 10u);
  EXPECT_EQ(draws(), 1u);
}

// Silent connections cannot hold the server's capacity: each is dropped when it has not
// said Hello within SERVER_HELLO_TIMEOUT, however long the idle timeout, and however
// slowly it trickles bytes in; with TLS, the handshake counts within that time.
TEST_P(Round, ConnectionsThatDoNotIntroduceThemselvesInTimeAreDropped) {
  constexpr int kSilent = 3;
  // Connections still introducing themselves get half the children: the silent ones
  // take all of that half. A sequential server serves the agency once their deadlines
  // passed; a process one at once, in place of the oldest of them, the others dropped at
  // their deadline.
  auto& server = start_server(1, {{"SERVER_MAX_CHILDREN", std::to_string(2 * kSilent)},
                                  {"SERVER_HELLO_TIMEOUT", "1s"},
                                  {"SERVER_IDLE_TIMEOUT", "60s"}});
  // kSilent - 1 say nothing at all: one after its TLS handshake, one before it (it never
  // starts one). With the trickling one they fill the strangers' half.
  std::vector<std::unique_ptr<RawPeer>> silent;
  silent.push_back(std::make_unique<RawPeer>(cluster_, 1));
  silent.push_back(std::make_unique<RawPeer>(cluster_.port(), RawPeer::PlainText{}));
  static_assert(kSilent - 1 == 2);
  // One more trickles all but the last byte of a Hello in, a byte every 300 ms: each
  // well within the idle timeout, so only the deadline can drop it.
  const auto hello = frame_of(protocol::Hello{1});
  std::thread trickle([&] {
    RawPeer slow(cluster_, 1);
    try {
      for (std::size_t i = 0; i + 1 < hello.size(); ++i) {
        slow.send_bytes(std::span(&hello[i], 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      }
    } catch (const net::NetError&) {
      // Dropped while still trickling, as it should be.
    }
    EXPECT_TRUE(slow.closed_by_server());
  });
  if (!sequential()) {
    ASSERT_TRUE(
        server.wait_for_lines("action: accept_connections | result: success", kSilent, kStartTimeout));
  }
  start_honest(1);
  expect_honest_served(1);
  trickle.join();
  const std::size_t displaced = sequential() ? 0 : 1;
  ASSERT_TRUE(
      server.wait_for_lines("not done within its deadline of 1000 ms", kSilent - displaced, kRunTimeout))
      << server.output();
  EXPECT_EQ(server.lines_containing("error: displaced: ").size(), displaced) << server.output();
  for (auto& peer : silent) EXPECT_TRUE(peer->closed_by_server());
}

// Waiting for the draw holds none of the server's capacity: with one child allowed for
// connections (SERVER_MAX_CHILDREN=2, the waiting room being the other), agencies that
// asked for their winners early give their place back (a process server answers
// WaitForDraw and its waiting room holds their bare connections, closing them at the
// draw; a sequential one answers NotReady), and the last agency still gets in, holds
// the draw, and everyone is answered when it asks again.
TEST_P(Round, AgenciesWaitingForTheDrawLeaveRoomForTheLastOne) {
  constexpr std::uint32_t kAgencies = 4;
  auto& server = start_server(kAgencies, {{"SERVER_MAX_CHILDREN", "2"}});
  std::vector<std::unique_ptr<RawPeer>> waiting;
  for (std::uint32_t agency = 1; agency < kAgencies; ++agency) {
    // With one child allowed, the previous agency's child may still be ending.
    auto peer = introduce_when_not_busy(cluster_, agency);
    peer->send(batch_of(agency, 0, 0, 5, agency));
    EXPECT_EQ(peer->receive(), kOk);
    peer->send(protocol::Finished{});
    EXPECT_EQ(peer->receive(), kOk);
    peer->send(protocol::WinnersQuery{agency});
    if (sequential()) {
      EXPECT_EQ(peer->receive(), Message(protocol::NotReady{}));
      continue;  // the client asks again later, on a new connection
    }
    ASSERT_EQ(peer->receive(), Message(protocol::WaitForDraw{}));
    peer->end_tls();
    waiting.push_back(std::move(peer));
  }
  if (!sequential()) {
    ASSERT_TRUE(server.wait_for_lines("action: hand_back_connection", kAgencies - 1, kStartTimeout))
        << server.output();
  }
  start_honest(kAgencies);
  expect_honest_served(kAgencies);
  EXPECT_EQ(draws(), 1u);
  for (std::uint32_t agency = 1; agency <= waiting.size(); ++agency) {
    EXPECT_TRUE(waiting[agency - 1]->closed_by_server()) << "the waiting room held agency " << agency;
    EXPECT_EQ(server
                  .lines_containing("action: close_connection | result: success | ip: 127.0.0.1 | agency: " +
                                    std::to_string(agency) + " | draw: held")
                  .size(),
              1u)
        << server.output();
  }
  for (std::uint32_t agency = 1; agency < kAgencies; ++agency) {
    auto peer = introduce_when_not_busy(cluster_, agency);
    peer->send(protocol::WinnersQuery{agency});
    std::vector<std::string> expected;
    expected.reserve(agency);
    for (std::uint32_t i = 0; i < agency; ++i) expected.push_back(std::to_string(30000000 + i));
    EXPECT_EQ(peer->receive(), Message(protocol::Winners{true, expected})) << agency;
  }
  // Refusals at the child limit are expected here; a failed conversation is not.
  EXPECT_TRUE(server.lines_containing("action: serve_connection | result: fail").empty()) << server.output();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, Round, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
