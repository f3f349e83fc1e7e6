// The conversation's logic in one process: a LotterySession on one end of a socket pair,
// the test speaking the protocol on the other, and the round and the bets file its own.
#include "server/lottery_session.h"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/logging/logging.h"
#include "server/draw/draw_record.h"
#include "tests/support/process.h"
#include "tests/support/socket_pair.h"
#include "tests/support/stdout_to_file.h"

namespace tp0::server {
namespace {

using protocol::Ack;
using protocol::AckCode;
using protocol::Message;
using testing::StdoutToFile;

protocol::Batch batch_of(std::uint32_t agency, std::uint32_t position, int count, std::uint16_t number = 1) {
  protocol::Batch batch{agency, position, {}};
  for (int i = 0; i < count; ++i) {
    batch.bets.push_back({agency, "Ana", "Paz", std::to_string(position + i), "1990-05-17", number});
  }
  return batch;
}

// One session of a round of agencies 1 and 2, served on a thread of the test.
class Session : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { logging::init(logging::Level::kCritical); }

  // Serves one connection until it ends; the test's end is peer_. `certified_agency` is
  // the agency a TLS certificate would name (nullopt: plain text).
  void start(LotterySettings settings = {}, std::optional<std::uint32_t> certified_agency = std::nullopt) {
    settings.storage_path = dir_.file("bets.csv");
    auto sockets = testing::make_socket_pair();
    peer_.emplace(net::Connection(std::move(sockets.remote), "server"));
    server_ = std::thread([this, settings, certified_agency, local = std::move(sockets.local)]() mutable {
      protocol::Channel channel(std::move(local));
      LotterySession session(channel, round_, settings, certified_agency);
      session.run();
      handed_over_ = session.handed_over();
    });
  }

  Message ask(const Message& message) {
    peer_->send(message);
    return peer_->receive_expected("an answer");
  }

  // Closes the test's end and waits for the session to return.
  void end() {
    peer_.reset();
    server_.join();
  }

  void TearDown() override {
    if (server_.joinable()) end();
  }

  testing::TempDir dir_;
  round::Round round_{{1, 2}};
  std::optional<protocol::Channel> peer_;
  std::thread server_;
  bool handed_over_ = false;
};

TEST_F(Session, AWholeConversationStoresEachBatchOnceAndAnswersTheAgencysWinners) {
  start();
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0}));
  // Two batches back to back: stored together, acknowledged each, in order.
  peer_->post(batch_of(1, 0, 3, 7574));
  peer_->post(batch_of(1, 3, 2));
  peer_->flush();
  EXPECT_EQ(peer_->receive_expected("ack"), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(peer_->receive_expected("ack"), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(ask(batch_of(1, 3, 2)), Message(Ack{AckCode::kOk, 0})) << "the second batch again";
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{5}));
  EXPECT_EQ(ask(protocol::Finished{}), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(round_.finished_count(), 1u);
  EXPECT_EQ(ask(protocol::WinnersQuery{1}), Message(protocol::NotReady{})) << "no waiting room: ask again later";
  EXPECT_EQ(ask(batch_of(1, 5, 1)), Message(Ack{AckCode::kBettingClosed, 0}));
  end();
  EXPECT_EQ(round_.streams().stream(1).position, 5u);
  EXPECT_EQ(storage::committed_length(dir_.file("bets.csv")) > 0, true);
  std::size_t stored = 0;
  storage::load_bets(dir_.file("bets.csv"), [&](const lottery::Bet&) { ++stored; });
  EXPECT_EQ(stored, 5u);
}

TEST_F(Session, TheLastFinishedHoldsTheDrawAndTheAnswerIsOnlyTheAgencysWinners) {
  {
    storage::BetsFileWriter other(dir_.file("bets.csv"), round_.streams());
    ASSERT_EQ(other.store(batch_of(2, 0, 4, 7574).bets, {2, 0}), storage::StoreOutcome::kStored);
    ASSERT_TRUE(other.close_stream(2));
  }
  int draws = 0;
  LotterySettings settings;
  settings.on_draw = [&] { ++draws; };
  start(settings);
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0}));
  EXPECT_EQ(ask(batch_of(1, 0, 2, 7574)), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(ask(protocol::Finished{}), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(draws, 1);
  EXPECT_TRUE(round_.drawn());
  EXPECT_EQ(ask(protocol::WinnersQuery{1}), Message(protocol::Winners{true, {"0", "1"}}));
  EXPECT_EQ(ask(protocol::Finished{}), Message(Ack{AckCode::kOk, 0})) << "finishing again is harmless";
  EXPECT_EQ(draws, 1) << "the draw was held twice";
}

TEST_F(Session, BeforeTheDrawAQueryIsHandedOverAndTheSessionEnds) {
  std::optional<std::uint32_t> handed;
  LotterySettings settings;
  settings.hand_over_until_draw = [&](std::uint32_t agency, const net::Connection&) { handed = agency; };
  start(settings);
  EXPECT_EQ(ask(protocol::Hello{2}), Message(protocol::Resume{0}));
  EXPECT_EQ(ask(protocol::WinnersQuery{2}), Message(protocol::WaitForDraw{})) << "told to ask again after the draw";
  server_.join();
  EXPECT_TRUE(handed_over_);
  EXPECT_EQ(handed, 2u);
}

TEST_F(Session, AConnectionSpeaksForOneMemberOnly) {
  start();
  EXPECT_EQ(ask(protocol::Hello{3}), Message(Ack{AckCode::kUnknownAgency, 0}));
  EXPECT_FALSE(peer_->receive()) << "the conversation went on";
  end();
  start();
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0}));
  EXPECT_EQ(ask(batch_of(2, 0, 1)), Message(Ack{AckCode::kWrongAgency, 0}));
  EXPECT_FALSE(peer_->receive()) << "the conversation went on";
  EXPECT_EQ(round_.streams().stream(2).position, 0u);
}

// With TLS the certificate names the one agency a connection may speak for: a Hello for
// another, even a member of the round, is refused with code 6 and ends the conversation,
// and the log names both agencies.
TEST_F(Session, AHelloForAnotherAgencyThanTheCertificatesIsRefused) {
  const std::string log = dir_.file("log");
  std::optional<Message> answer;
  std::optional<Message> after;
  {
    const StdoutToFile captured(log);
    logging::init(logging::Level::kWarning);
    start({}, 1);
    answer = ask(protocol::Hello{2});
    after = peer_->receive();
    end();
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(answer, Message(Ack{AckCode::kUnknownAgency, 0}));
  EXPECT_FALSE(after) << "the conversation went on";
  const std::string logged = testing::read_file(log);
  EXPECT_NE(logged.find("action: identify | result: fail | ip: test-peer | certificate_agency: 1 | claimed_agency: 2 | "
                        "error: the client certificate names another agency"),
            std::string::npos)
      << logged;
  start({}, 1);
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0})) << "the certificate's own agency";
}

// SERVER_MAX_BETS_PER_AGENCY: a batch that ends exactly at the limit is stored; one that
// would pass it is refused with code 9, logged, stores nothing of itself and ends the
// conversation; a batch already held is still acknowledged, since it adds nothing.
TEST_F(Session, ABatchThatWouldPassTheAgencysLimitIsRefusedAndEndsTheConversation) {
  const std::string log = dir_.file("log");
  LotterySettings settings;
  settings.max_bets_per_agency = 5;
  std::vector<Message> answers;
  std::optional<Message> after;
  {
    const StdoutToFile captured(log);
    logging::init(logging::Level::kError);
    start(settings);
    answers.push_back(ask(protocol::Hello{1}));
    answers.push_back(ask(batch_of(1, 0, 3)));
    answers.push_back(ask(batch_of(1, 3, 2)));
    answers.push_back(ask(batch_of(1, 3, 2)));
    answers.push_back(ask(batch_of(1, 5, 1)));
    after = peer_->receive();
    end();
    // A new connection, the agency at its limit: still refused, whatever the batch's size.
    start(settings);
    answers.push_back(ask(protocol::Hello{1}));
    answers.push_back(ask(batch_of(1, 5, 40)));
    end();
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(answers, (std::vector<Message>{protocol::Resume{0}, Ack{AckCode::kOk, 0}, Ack{AckCode::kOk, 0},
                                           Ack{AckCode::kOk, 0}, Ack{AckCode::kTooManyBets, 0}, protocol::Resume{5},
                                           Ack{AckCode::kTooManyBets, 0}}));
  EXPECT_FALSE(after) << "the conversation went on";
  EXPECT_EQ(round_.streams().stream(1).position, 5u);
  std::size_t stored = 0;
  storage::load_bets(dir_.file("bets.csv"), [&](const lottery::Bet&) { ++stored; });
  EXPECT_EQ(stored, 5u) << "nothing of a refused batch is stored";
  const auto lines = testing::split_lines(testing::read_file(log));
  std::vector<std::string> refusals;
  for (const auto& line : lines) {
    if (line.find("action: apuesta_recibida | result: fail") != std::string::npos) refusals.push_back(line);
  }
  ASSERT_EQ(refusals.size(), 2u) << testing::read_file(log);
  EXPECT_NE(refusals[0].find("cantidad: 1 | agency: 1 | error: the agency has stored as many bets as the server "
                             "allows: 5 + 1 would pass 5 (SERVER_MAX_BETS_PER_AGENCY)"),
            std::string::npos)
      << refusals[0];
  EXPECT_NE(refusals[1].find("cantidad: 40 | agency: 1"), std::string::npos) << refusals[1];
}

TEST_F(Session, ASingleBetThatWouldPassTheAgencysLimitIsRefusedAndEndsTheConversation) {
  const std::string log = dir_.file("log");
  LotterySettings settings;
  settings.max_bets_per_agency = 2;
  const auto single = [](std::uint32_t position) {
    return protocol::SingleBet{{1, "Ana", "Paz", std::to_string(100 + position), "1990-05-17", 7574}, position};
  };
  std::vector<Message> answers;
  std::optional<Message> after;
  {
    const StdoutToFile captured(log);
    logging::init(logging::Level::kError);
    start(settings);
    answers.push_back(ask(protocol::Hello{1}));
    answers.push_back(ask(single(0)));
    answers.push_back(ask(single(1)));
    answers.push_back(ask(single(1)));
    answers.push_back(ask(single(2)));
    after = peer_->receive();
    end();
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(answers, (std::vector<Message>{protocol::Resume{0}, Ack{AckCode::kOk, 0}, Ack{AckCode::kOk, 0},
                                           Ack{AckCode::kOk, 0}, Ack{AckCode::kTooManyBets, 0}}));
  EXPECT_FALSE(after) << "the conversation went on";
  EXPECT_EQ(round_.streams().stream(1).position, 2u);
  const std::string logged = testing::read_file(log);
  EXPECT_NE(logged.find("action: apuesta_almacenada | result: fail | dni: 102 | numero: 7574 | error: the agency has "
                        "stored as many bets as the server allows: 2 + 1 would pass 2"),
            std::string::npos)
      << logged;
}

}  // namespace
}  // namespace tp0::server
