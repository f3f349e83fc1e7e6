// Scripted peers that break the conversation's rules at the exact step each rule guards:
// a refusal that ends the conversation ends it for whatever was sent behind it, a Hello
// says where the agency's stream ends now, a batch sent again is acknowledged only if it
// is the batch held there, and a finished agency's empty batch is refused like any other.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/net/errors.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"

namespace tp0::testing {
namespace {

using protocol::Ack;
using protocol::AckCode;
using protocol::Message;

// Sends `message` and expects `answer`.
void exchange(RawPeer& peer, const Message& message, const Message& answer) {
  peer.send(message);
  EXPECT_EQ(peer.receive(), answer) << protocol::name_of(message);
}

// Sends `count` frames of `message` in one stream. The server may end the conversation
// before the last arrive: its kernel then refuses the rest, as the test expects of it.
void flood(RawPeer& peer, const Message& message, int count) {
  std::vector<std::byte> bytes;
  const auto frame = frame_of(message);
  for (int i = 0; i < count; ++i) bytes.insert(bytes.end(), frame.begin(), frame.end());
  try {
    peer.send_bytes(bytes);
  } catch (const net::NetError&) {
  }
}

// The server's answers until it closes the connection. A close with the flood unread
// is a reset, which may discard answers still in flight: the caller checks no more came.
std::vector<Message> answers_until_closed(RawPeer& peer) {
  std::vector<Message> answers;
  try {
    while (auto message = peer.receive()) answers.push_back(*message);
  } catch (const net::IdleTimeout&) {
    ADD_FAILURE() << "the server kept the connection open";
  } catch (const net::NetError&) {
  }
  return answers;
}

class Conversation : public ::testing::TestWithParam<const char*> {
 protected:
  Process& start_server(Environment environment = {}) {
    environment.emplace("SERVER_CONCURRENCY", GetParam());
    environment.emplace("SERVER_AGENCIES", "2");
    return cluster_.start_server(environment);
  }

  Cluster cluster_;
};

// Only the server sends these: a peer that starts with one is refused and ended at once,
// and nothing it sent behind it is served (a sequential server goes on to the next).
TEST_P(Conversation, AFirstMessageOnlyTheServerSendsEndsTheConversation) {
  auto& server = start_server();
  const std::vector<Message> server_only = {Ack{AckCode::kOk, 0}, protocol::Winners{true, {"1"}},
                                            protocol::NotReady{}, protocol::Resume{0}};
  for (const Message& first : server_only) {
    RawPeer peer(cluster_, 1);
    peer.send_bytes(frames_of({first, protocol::Hello{1}, batch_of(1, 0, 0, 4)}));
    EXPECT_EQ(peer.receive(), Message(Ack{AckCode::kUnexpectedMessage, 0})) << protocol::name_of(first);
    EXPECT_TRUE(peer.closed_by_server()) << protocol::name_of(first);
  }
  EXPECT_TRUE(bets_per_agency(cluster_.bets_path()).empty()) << "a batch behind the refusal was stored";
  RawPeer honest(cluster_, 1);
  ASSERT_EQ(honest.hello(1), Message(protocol::Resume{0}));
  exchange(honest, batch_of(1, 0, 0, 4), Ack{AckCode::kOk, 0});
  EXPECT_EQ(server.lines_containing("action: receive_message | result: fail").size(), server_only.size());
}

TEST_P(Conversation, AnEmptyBatchOfAFinishedAgencyIsRefused) {
  auto& server = start_server();
  RawPeer peer(cluster_, 1);
  ASSERT_EQ(peer.hello(1), Message(protocol::Resume{0}));
  exchange(peer, batch_of(1, 0, 0, 4), Ack{AckCode::kOk, 0});
  exchange(peer, protocol::Finished{}, Ack{AckCode::kOk, 0});
  exchange(peer, batch_of(1, 4, 0, 0), Ack{AckCode::kBettingClosed, 0});
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: fail | cantidad: 0").size(), 1u)
      << server.output();
  EXPECT_TRUE(server.lines_containing("apuesta_recibida | result: success | cantidad: 0").empty());
}

// A batch at a position the journal holds is acknowledged only if it is the batch held
// there; other bets at that place are refused, and the conversation ends with nothing
// served behind them: here a Finished, which would have closed the agency's stream.
TEST_P(Conversation, OtherBetsWhereSomeAreHeldAreRefusedAndWhatFollowsIsNotServed) {
  auto& server = start_server();
  {
    RawPeer peer(cluster_, 1);
    ASSERT_EQ(peer.hello(1), Message(protocol::Resume{0}));
    exchange(peer, batch_of(1, 0, 0, 4), Ack{AckCode::kOk, 0});
    exchange(peer, batch_of(1, 0, 0, 4), Ack{AckCode::kOk, 0});  // the same batch again
    peer.send_bytes(frames_of({batch_of(1, 0, 100, 4), protocol::Finished{}}));
    EXPECT_EQ(peer.receive(), Message(Ack{AckCode::kOutOfPlace, 0})) << "other bets at position 0";
    EXPECT_TRUE(peer.closed_by_server()) << "the Finished behind it was answered";
  }
  EXPECT_EQ(bet_keys_in_bets_file(cluster_.bets_path(), 1).size(), 4u);
  EXPECT_TRUE(server.lines_containing("action: agency_finished").empty()) << server.output();
  RawPeer again(cluster_, 1);
  ASSERT_EQ(again.hello(1), Message(protocol::Resume{4}));
  // Refused 7 if a message that was never served had closed the agency's stream.
  exchange(again, batch_of(1, 4, 4, 4), Ack{AckCode::kOk, 0});
}

// A peer that repeats what is refused cannot write the log at its own pace: the
// conversation ends at its fourth refusal, whatever it sent behind, and the log grows by
// a few lines however many frames arrived.
TEST_P(Conversation, RefusedMessagesInALoopEndTheConversationAndTheLogStaysSmall) {
  auto& server = start_server();
  RawPeer peer(cluster_, 1);
  ASSERT_EQ(peer.hello(1), Message(protocol::Resume{0}));
  const std::size_t log_before = server.output().size();
  protocol::Batch invalid = batch_of(1, 0, 0, 4);
  invalid.bets[0].birthdate = "1990-02-30";
  flood(peer, invalid, 2000);
  const auto answers = answers_until_closed(peer);
  EXPECT_LE(answers.size(), 4U);
  for (const Message& answer : answers) EXPECT_EQ(answer, Message(Ack{AckCode::kInvalidBet, 0}));
  ASSERT_TRUE(server.wait_for_line("messages refused: the conversation ends", kRunTimeout));
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: fail").size(), 4U);
  // 2000 frames of 62 bytes sent; four refusals, their close and the connection's lines logged.
  EXPECT_LT(server.output().size() - log_before, 2048U) << server.output().substr(log_before);
  RawPeer honest(cluster_, 1);
  ASSERT_EQ(honest.hello(1), Message(protocol::Resume{0}));
  exchange(honest, batch_of(1, 0, 0, 4), Ack{AckCode::kOk, 0});
}

TEST_P(Conversation, AFloodOfUnexpectedFramesEndsAtTheFirstAndLogsOneWarning) {
  auto& server = start_server();
  RawPeer peer(cluster_, 1);
  ASSERT_EQ(peer.hello(1), Message(protocol::Resume{0}));
  const std::size_t log_before = server.output().size();
  flood(peer, Ack{AckCode::kOk, 0}, 20000);
  const auto answers = answers_until_closed(peer);
  EXPECT_LE(answers.size(), 1U);
  for (const Message& answer : answers) EXPECT_EQ(answer, Message(Ack{AckCode::kUnexpectedMessage, 0}));
  ASSERT_TRUE(server.wait_for_line("action: close_connection", kRunTimeout));
  EXPECT_EQ(server.lines_containing("action: receive_message | result: fail").size(), 1U);
  EXPECT_LT(server.output().size() - log_before, 1024U) << server.output().substr(log_before);
}

// What a peer put in a refused field reaches the log escaped: no terminal control, no
// byte that is not printable UTF-8, no line break that would forge a line.
TEST_P(Conversation, ControlBytesOfARefusedFieldAreEscapedInTheLog) {
  using namespace std::string_literals;
  auto& server = start_server();
  RawPeer peer(cluster_, 1);
  ASSERT_EQ(peer.hello(1), Message(protocol::Resume{0}));
  lottery::Bet bet{1, "Ana", "Paz", "1\x1b[2J\0\x0b\xff\naction: sorteo"s, "1990-05-17", 7574};
  exchange(peer, protocol::SingleBet{bet, 0}, Ack{AckCode::kInvalidBet, 0});
  const auto refused = server.lines_containing("action: apuesta_almacenada | result: fail");
  ASSERT_EQ(refused.size(), 1U);
  EXPECT_NE(refused[0].find("dni: 1\\x1b[2J\\x00\\x0b\\xff\\x0aaction: sorteo"), std::string::npos)
      << refused[0];
  const std::string log = server.output();
  for (const char raw : {'\x1b', '\0', '\x0b', '\xff'})
    EXPECT_EQ(log.find(raw), std::string::npos) << int(raw);
  EXPECT_EQ(server.lines_containing("action: sorteo").size(), 1U) << "a peer forged a line";
}

// A Hello is said once: said again it would be answered again, and a peer could keep a
// conversation going by saying it now and then. The second is refused like any unexpected
// message, after the answers owed before it, and nothing behind it is served.
TEST_P(Conversation, ASecondHelloIsRefusedAndEndsTheConversation) {
  auto& server = start_server();
  RawPeer peer(cluster_, 1);
  ASSERT_EQ(peer.hello(1), Message(protocol::Resume{0}));
  peer.send_bytes(frames_of({batch_of(1, 0, 0, 4), protocol::Hello{1}, batch_of(1, 4, 4, 4)}));
  EXPECT_EQ(peer.receive(), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(peer.receive(), Message(Ack{AckCode::kUnexpectedMessage, 0}));
  EXPECT_TRUE(peer.closed_by_server());
  EXPECT_EQ(bet_keys_in_bets_file(cluster_.bets_path(), 1).size(), 4u) << "the batch behind it was stored";
  EXPECT_EQ(server
                .lines_containing("action: receive_message | result: fail | ip: 127.0.0.1 | error: "
                                  "unexpected second Hello")
                .size(),
            1u)
      << server.output();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, Conversation, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
