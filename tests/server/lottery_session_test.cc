// The conversation's logic in one process: a LotterySession on one end of a socket pair,
// the test speaking the protocol on the other, and the round and the bets file its own.
#include "server/lottery_session.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/logging/logging.h"
#include "server/draw/draw_record.h"
#include "server/storage/journal.h"
#include "server/waiting_room.h"
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

// A LotterySession served on a thread of the test until its connection ends, over a socket
// pair whose other end, `peer`, is the test's.
class ServedSession {
 public:
  ServedSession(round::Round& round, config::ServerConfig settings, BeforeTheDraw& before_the_draw,
                std::unique_ptr<Proof> proof) {
    auto sockets = testing::make_socket_pair();
    peer.emplace(net::Connection(std::move(sockets.remote), "server"));
    thread_ = std::thread([this, &round, settings = std::move(settings), &before_the_draw,
                           proof = std::move(proof), local = std::move(sockets.local)]() mutable {
      protocol::Channel channel(std::move(local));
      LotterySession session(channel, round, settings, before_the_draw, *proof);
      handed_over = session.run();
    });
  }
  ~ServedSession() { end(); }
  ServedSession(const ServedSession&) = delete;
  ServedSession& operator=(const ServedSession&) = delete;

  Message ask(const Message& message) {
    peer->send(message);
    return peer->receive_expected("an answer");
  }

  // Closes the test's end and waits for the session to return.
  void end() {
    if (!thread_.joinable()) return;
    peer.reset();
    thread_.join();
  }
  // Waits for the session to return by itself.
  void join() { thread_.join(); }

  std::optional<protocol::Channel> peer;
  bool handed_over = false;  // once ended

 private:
  std::thread thread_;
};

// Sessions of a round of agencies 1 and 2, with the round and the bets file the test's own.
class Session : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { logging::init(logging::Level::kCritical); }

  // A session on a connection of its own. `certified_agency` is the agency a TLS
  // certificate would name (nullopt: plain text). A query before the draw is answered
  // as `before_the_draw` says; NotReady by default.
  std::unique_ptr<ServedSession> serve(config::ServerConfig settings = {},
                                       std::optional<std::uint32_t> certified_agency = std::nullopt,
                                       BeforeTheDraw* before_the_draw = nullptr) {
    settings.storage_path = dir_.file("bets.csv");
    std::unique_ptr<Proof> proof = std::make_unique<AnyAgency>();
    if (certified_agency) proof = std::make_unique<CertifiedAgency>(*certified_agency);
    return std::make_unique<ServedSession>(
        round_, std::move(settings), before_the_draw ? *before_the_draw : ask_again_later_, std::move(proof));
  }

  // The test's main session.
  void start(config::ServerConfig settings = {}, std::optional<std::uint32_t> certified_agency = std::nullopt,
             BeforeTheDraw* before_the_draw = nullptr) {
    session_ = serve(std::move(settings), certified_agency, before_the_draw);
  }
  Message ask(const Message& message) { return session_->ask(message); }
  void end() { session_->end(); }
  std::optional<protocol::Channel>& peer() { return session_->peer; }
  // Where the agency's stream ends, as the round's bets file says.
  std::uint64_t stream_end(std::uint32_t agency) {
    return round_.writer(dir_.file("bets.csv"), storage::Durability::kProcess).stream_state(agency).position;
  }

  testing::TempDir dir_;
  round::Round round_{{1, 2}};
  AskAgainLater ask_again_later_;
  std::unique_ptr<ServedSession> session_;
};

TEST_F(Session, AWholeConversationStoresEachBatchOnceAndAnswersTheAgencysWinners) {
  start();
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0}));
  // Two batches back to back: stored together, acknowledged each, in order.
  peer()->post(batch_of(1, 0, 3, 7574));
  peer()->post(batch_of(1, 3, 2));
  peer()->flush();
  EXPECT_EQ(peer()->receive_expected("ack"), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(peer()->receive_expected("ack"), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(ask(batch_of(1, 3, 2)), Message(Ack{AckCode::kOk, 0})) << "the second batch again";
  EXPECT_EQ(ask(protocol::Finished{}), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(round_.finished_count(), 1u);
  EXPECT_EQ(ask(protocol::WinnersQuery{1}), Message(protocol::NotReady{}))
      << "no waiting room: ask again later";
  EXPECT_EQ(ask(batch_of(1, 5, 1)), Message(Ack{AckCode::kBettingClosed, 0}));
  end();
  EXPECT_EQ(stream_end(1), 5u);
  EXPECT_GT(
      storage::Journal(dir_.file("bets.csv"), storage::Journal::Access::kRead).committed_length().value_or(0),
      0u);
  std::size_t stored = 0;
  storage::load_bets(dir_.file("bets.csv"), [&](const lottery::Bet&) { ++stored; });
  EXPECT_EQ(stored, 5u);
}

TEST_F(Session, TheLastFinishedHoldsTheDrawAndTheAnswerIsOnlyTheAgencysWinners) {
  {
    storage::BetsFileWriter other = round_.writer(dir_.file("bets.csv"), storage::Durability::kProcess);
    other.stage(batch_of(2, 0, 4, 7574).bets);
    ASSERT_EQ(other.store_staged({2, 0}).outcome, storage::StoreOutcome::kStored);
    ASSERT_TRUE(other.close_stream(2));
  }
  // Told of the draw once it is held and recorded, as the waiting room is.
  struct CountsDraws final : BeforeTheDraw {
    bool answer_early_query(std::uint32_t, protocol::Channel& channel) override {
      channel.send(protocol::NotReady{});
      return false;
    }
    void draw_held() override { ++draws; }
    int draws = 0;
  } counts;
  start({}, std::nullopt, &counts);
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0}));
  EXPECT_EQ(ask(batch_of(1, 0, 2, 7574)), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(ask(protocol::Finished{}), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(counts.draws, 1);
  EXPECT_TRUE(round_.drawn());
  EXPECT_EQ(ask(protocol::WinnersQuery{1}), Message(protocol::Winners{true, {"0", "1"}}));
  EXPECT_EQ(ask(protocol::Finished{}), Message(Ack{AckCode::kOk, 0})) << "finishing again is harmless";
  EXPECT_EQ(counts.draws, 1) << "the draw was held twice";
}

// In process mode: the client is told to wait for the draw, and its connection is handed
// to the waiting room, which holds it open until it goes.
TEST_F(Session, BeforeTheDrawAQueryIsHandedOverAndTheSessionEnds) {
  const std::string log = dir_.file("log");
  std::optional<WaitingRoom> room(std::in_place);
  std::optional<Message> answer;
  {
    const StdoutToFile captured(log);
    logging::init(logging::Level::kDebug);
    start({}, std::nullopt, &*room);
    EXPECT_EQ(ask(protocol::Hello{2}), Message(protocol::Resume{0}));
    answer = ask(protocol::WinnersQuery{2});
    session_->join();
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(answer, Message(protocol::WaitForDraw{})) << "told to ask again after the draw";
  EXPECT_TRUE(session_->handed_over);
  EXPECT_NE(testing::read_file(log).find("action: wait_for_draw | result: in_progress | agency: 2"),
            std::string::npos)
      << testing::read_file(log);
  // The session has closed its descriptor: only the one on its way to the room keeps the
  // connection open, until the room goes.
  pollfd closed{peer()->connection().fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&closed, 1, 0), 0) << "the connection was closed, not handed over";
  room.reset();
  EXPECT_FALSE(peer()->receive()) << "the room kept the connection";
}

TEST_F(Session, AConnectionSpeaksForOneMemberOnly) {
  start();
  EXPECT_EQ(ask(protocol::Hello{3}), Message(Ack{AckCode::kUnknownAgency, 0}));
  EXPECT_FALSE(peer()->receive()) << "the conversation went on";
  end();
  start();
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0}));
  EXPECT_EQ(ask(batch_of(2, 0, 1)), Message(Ack{AckCode::kWrongAgency, 0}));
  EXPECT_FALSE(peer()->receive()) << "the conversation went on";
  EXPECT_EQ(stream_end(2), 0u);
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
    after = peer()->receive();
    end();
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(answer, Message(Ack{AckCode::kUnknownAgency, 0}));
  EXPECT_FALSE(after) << "the conversation went on";
  const std::string logged = testing::read_file(log);
  EXPECT_NE(
      logged.find(
          "action: identify | result: fail | ip: test-peer | certificate_agency: 1 | claimed_agency: 2 | "
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
  config::ServerConfig settings;
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
    after = peer()->receive();
    end();
    // A new connection, the agency at its limit: still refused, whatever the batch's size.
    start(settings);
    answers.push_back(ask(protocol::Hello{1}));
    answers.push_back(ask(batch_of(1, 5, 40)));
    end();
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(answers, (std::vector<Message>{protocol::Resume{0}, Ack{AckCode::kOk, 0}, Ack{AckCode::kOk, 0},
                                           Ack{AckCode::kOk, 0}, Ack{AckCode::kTooManyBets, 0},
                                           protocol::Resume{5}, Ack{AckCode::kTooManyBets, 0}}));
  EXPECT_FALSE(after) << "the conversation went on";
  EXPECT_EQ(stream_end(1), 5u);
  std::size_t stored = 0;
  storage::load_bets(dir_.file("bets.csv"), [&](const lottery::Bet&) { ++stored; });
  EXPECT_EQ(stored, 5u) << "nothing of a refused batch is stored";
  const auto lines = testing::split_lines(testing::read_file(log));
  std::vector<std::string> refusals;
  for (const auto& line : lines) {
    if (line.find("action: apuesta_recibida | result: fail") != std::string::npos) refusals.push_back(line);
  }
  ASSERT_EQ(refusals.size(), 2u) << testing::read_file(log);
  EXPECT_NE(
      refusals[0].find("cantidad: 1 | agency: 1 | error: the agency has stored as many bets as the server "
                       "allows: 5 + 1 would pass 5 (SERVER_MAX_BETS_PER_AGENCY)"),
      std::string::npos)
      << refusals[0];
  EXPECT_NE(refusals[1].find("cantidad: 40 | agency: 1"), std::string::npos) << refusals[1];
}

TEST_F(Session, ASingleBetThatWouldPassTheAgencysLimitIsRefusedAndEndsTheConversation) {
  const std::string log = dir_.file("log");
  config::ServerConfig settings;
  settings.max_bets_per_agency = 2;
  const auto single = [](std::uint32_t position) {
    return protocol::SingleBet{{1, "Ana", "Paz", std::to_string(100 + position), "1990-05-17", 7574},
                               position};
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
    after = peer()->receive();
    end();
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(answers, (std::vector<Message>{protocol::Resume{0}, Ack{AckCode::kOk, 0}, Ack{AckCode::kOk, 0},
                                           Ack{AckCode::kOk, 0}, Ack{AckCode::kTooManyBets, 0}}));
  EXPECT_FALSE(after) << "the conversation went on";
  EXPECT_EQ(stream_end(1), 2u);
  const std::string logged = testing::read_file(log);
  EXPECT_NE(logged.find(
                "action: apuesta_almacenada | result: fail | dni: 102 | numero: 7574 | error: the agency has "
                "stored as many bets as the server allows: 2 + 1 would pass 2"),
            std::string::npos)
      << logged;
}

// A server replaces a member's older conversation when a newer one proves the same
// agency (admission.h), but not at once: until the older one is gone, both may speak, and
// a Hello says where the stream ends when it is said, whichever stored it.
TEST_F(Session, ASecondHelloSaysWhereTheAgencysStreamEndsNow) {
  start();
  const auto second = serve();
  EXPECT_EQ(ask(protocol::Hello{1}), Message(protocol::Resume{0}));
  EXPECT_EQ(ask(batch_of(1, 0, 4)), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(second->ask(protocol::Hello{1}), Message(protocol::Resume{4}));
  EXPECT_EQ(second->ask(batch_of(1, 4, 4)), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(stream_end(1), 8U);
}

// A batch of a stale view is refused when it is stored, with what came with it; no message
// behind it is served, whatever it is.
TEST_F(Session, NothingBehindABatchRefusedAsOutOfPlaceIsServed) {
  // The single bet at 4, where the agency's stored bets end when it arrives: served, it
  // would be stored.
  const std::vector<Message> behind = {protocol::Finished{},
                                       protocol::SingleBet{batch_of(1, 4, 1, 50).bets[0], 4},
                                       protocol::Hello{1}, protocol::WinnersQuery{1}};
  for (std::size_t i = 0; i < behind.size(); ++i) {
    SCOPED_TRACE(protocol::name_of(behind[i]));
    const auto stream_end = static_cast<std::uint32_t>(4 * i);
    const auto stale = serve();
    const auto mover = serve();
    ASSERT_EQ(stale->ask(protocol::Hello{1}), Message(protocol::Resume{stream_end}));
    ASSERT_EQ(mover->ask(protocol::Hello{1}), Message(protocol::Resume{stream_end}));
    ASSERT_EQ(mover->ask(batch_of(1, stream_end, 4)), Message(Ack{AckCode::kOk, 0}));
    stale->peer->post(batch_of(1, stream_end, 4, 2));
    stale->peer->post(behind[i]);
    stale->peer->flush();
    EXPECT_EQ(stale->peer->receive_expected("an answer"), Message(Ack{AckCode::kOutOfPlace, 0}));
    EXPECT_FALSE(stale->peer->receive()) << "what was behind it was answered";
  }
  EXPECT_EQ(round_.finished_count(), 0U);
  EXPECT_EQ(stream_end(1), 16U);
}

}  // namespace
}  // namespace tp0::server
