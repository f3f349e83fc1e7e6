#include "common/protocol/codec.h"

#include <gtest/gtest.h>

#include <random>
#include <span>
#include <vector>

#include "common/protocol/errors.h"

namespace tp0::protocol {
namespace {

lottery::Bet sample_bet(std::uint32_t agency, int i) {
  return lottery::Bet{agency,
                      "Tiago Nicolás",
                      "O'Brien, \"Jr\"",
                      std::to_string(30000000 + i),
                      "1999-03-17",
                      static_cast<std::uint16_t>(i % 10000)};
}

// Encodes `message` and returns the body of its single frame.
std::vector<std::byte> body_of(const Message& message) {
  std::vector<std::byte> frame;
  encode(message, frame);
  EXPECT_GE(frame.size(), kFrameHeaderBytes + 1);
  EXPECT_LE(frame.size(), kMaxFrameBytes);
  const std::size_t length =
      std::to_integer<std::size_t>(frame[0]) << 24 | std::to_integer<std::size_t>(frame[1]) << 16 |
      std::to_integer<std::size_t>(frame[2]) << 8 | std::to_integer<std::size_t>(frame[3]);
  EXPECT_EQ(length, frame.size() - kFrameHeaderBytes);
  return {frame.begin() + kFrameHeaderBytes, frame.end()};
}

std::vector<Message> one_of_each() {
  Batch batch{7, 0, {}};
  for (int i = 0; i < 40; ++i) batch.bets.push_back(sample_bet(7, i));
  return {Hello{42},
          SingleBet{sample_bet(3, 7574), 0},
          SingleBet{sample_bet(3, 7574), 4'000'000'001u},
          batch,
          Batch{9, 4'000'000'000u, {}},
          Ack{AckCode::kInvalidBet, 17},
          Ack{AckCode::kOk, 0},
          Ack{AckCode::kServerBusy, 0},
          Ack{AckCode::kUnknownAgency, 0},
          Ack{AckCode::kBettingClosed, 0},
          Ack{AckCode::kOutOfPlace, 0},
          Ack{AckCode::kTooManyBets, 0},
          Finished{},
          WinnersQuery{5},
          Winners{false, {"30904465", "00000007"}},
          Winners{true, {}},
          NotReady{},
          Resume{0},
          Resume{4'294'967'295u},
          WaitForDraw{}};
}

TEST(ProtocolCodec, EveryMessageSurvivesARoundTrip) {
  for (const auto& message : one_of_each()) {
    const auto body = body_of(message);
    EXPECT_EQ(decode(body), message) << name_of(message);
  }
}

TEST(ProtocolCodec, AFrameIsItsBodysLengthBigEndianThenItsBody) {
  std::vector<std::byte> frame;
  encode(Hello{0x01020304}, frame);
  std::vector<std::byte> expected;
  for (const int byte : {0, 0, 0, 5, 1, 1, 2, 3, 4}) expected.push_back(static_cast<std::byte>(byte));
  EXPECT_EQ(frame, expected);
}

TEST(ProtocolCodec, ABatchEncodesTheSameAsItselfOrAsAMessage) {
  Batch batch{7, 146, {}};
  for (int i = 0; i < 40; ++i) batch.bets.push_back(sample_bet(7, i));
  for (const Batch& each : {batch, Batch{9, 0, {}}}) {
    std::vector<std::byte> direct;
    std::vector<std::byte> as_message;
    encode(each, direct);
    encode(Message(each), as_message);
    EXPECT_EQ(direct, as_message);
  }
}

TEST(ProtocolCodec, BetSizeMatchesTheBytesABatchGrowsBy) {
  const auto bet = sample_bet(1, 5);
  const auto empty = body_of(Batch{1, 0, {}});
  const auto one = body_of(Batch{1, 0, {bet}});
  EXPECT_EQ(one.size() - empty.size(), encoded_size(bet));
  EXPECT_EQ(empty.size() + kFrameHeaderBytes, kBatchOverheadBytes);
}

TEST(ProtocolCodec, EveryTruncationOfEveryMessageIsRejected) {
  for (const auto& message : one_of_each()) {
    const auto body = body_of(message);
    for (std::size_t cut = 0; cut < body.size(); ++cut) {
      EXPECT_THROW(decode(std::span(body).first(cut)), ProtocolError)
          << name_of(message) << " cut at " << cut;
    }
  }
}

TEST(ProtocolCodec, TrailingBytesAreRejected) {
  auto body = body_of(Hello{1});
  body.push_back(std::byte{0});
  EXPECT_THROW(decode(body), ProtocolError);
}

TEST(ProtocolCodec, UnknownTypeAndAckCodeAreRejected) {
  EXPECT_THROW(decode(std::vector<std::byte>{std::byte{0}}), ProtocolError);
  EXPECT_THROW(decode(std::vector<std::byte>{std::byte{200}}), ProtocolError);
  auto ack = body_of(Ack{AckCode::kOk, 0});
  ack[1] = std::byte{99};
  EXPECT_THROW(decode(ack), ProtocolError);
  ack[1] = std::byte{10};  // the first code after kTooManyBets
  EXPECT_THROW(decode(ack), ProtocolError);
}

TEST(ProtocolCodec, HostileCountIsRejectedWithoutAllocatingForIt) {
  auto body = body_of(Batch{1, 0, {}});
  body[9] = std::byte{0xFF};  // count = 0xFF00 bets announced, no bytes behind it
  EXPECT_THROW(decode(body), ProtocolError);
}

TEST(ProtocolCodec, RandomGarbageNeverDecodesSilentlyWrongOrCrashes) {
  std::mt19937 random(7);
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::byte> body(1 + random() % 64);
    for (auto& b : body) b = static_cast<std::byte>(random());
    body[0] = static_cast<std::byte>(1 + random() % 9);
    try {
      const Message message = decode(body);
      // Whatever decodes must encode back to the very same bytes.
      EXPECT_EQ(body_of(message), body);
      ++decoded;
    } catch (const ProtocolError&) {
    }
  }
  EXPECT_GT(decoded, 0);
}

TEST(ProtocolCodec, BatchOverTheFrameLimitIsRefused) {
  Batch batch{1, 0, {}};
  for (int i = 0; i < 400; ++i) batch.bets.push_back(sample_bet(1, i));
  std::vector<std::byte> out{std::byte{1}};
  EXPECT_THROW(encode(batch, out), std::length_error);
  EXPECT_EQ(out.size(), 1u) << "a refused message leaves the buffer as it was";
}

TEST(ProtocolCodec, UnencodableBetIsRefused) {
  auto bet = sample_bet(1, 1);
  bet.first_name.assign(256, 'x');
  std::vector<std::byte> out;
  EXPECT_THROW(encode(SingleBet{bet}, out), std::invalid_argument);
  bet = sample_bet(1, 1);
  bet.birthdate = "1999-3-17";
  EXPECT_THROW(encode(SingleBet{bet}, out), std::invalid_argument);
}

// The messages a WinnersSplitter emits for `documents`.
std::vector<Winners> split_winners(const std::vector<std::string>& documents) {
  std::vector<Winners> messages;
  WinnersSplitter splitter([&](const Winners& message) { messages.push_back(message); });
  for (const auto& document : documents) splitter.add(document);
  splitter.finish();
  return messages;
}

TEST(ProtocolCodec, LongWinnerListsSplitIntoFramesThatEachFit) {
  std::vector<std::string> documents;
  documents.reserve(5000);
  for (int i = 0; i < 5000; ++i) documents.push_back(std::to_string(10000000 + i));
  const auto parts = split_winners(documents);
  ASSERT_GT(parts.size(), 1u);
  std::vector<std::string> joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(parts[i].last, i + 1 == parts.size());
    std::vector<std::byte> frame;
    encode(parts[i], frame);
    EXPECT_LE(frame.size(), kMaxFrameBytes);
    joined.insert(joined.end(), parts[i].documents.begin(), parts[i].documents.end());
  }
  EXPECT_EQ(joined, documents);
}

TEST(ProtocolCodec, NoWinnersIsOneEmptyLastMessage) {
  const auto parts = split_winners({});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_TRUE(parts[0].last);
  EXPECT_TRUE(parts[0].documents.empty());
}

}  // namespace
}  // namespace tp0::protocol
