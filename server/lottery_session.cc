#include "server/lottery_session.h"

#include <span>
#include <utility>

#include "common/logging/logging.h"
#include "common/lottery/bet.h"
#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "server/draw/draw_record.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

constexpr const char* kBettingClosed = "the agency has finished: betting is closed";

}  // namespace

LotterySession::LotterySession(protocol::Channel& channel, draw::DrawBarrier& barrier,
                               const draw::Membership& members, LotterySettings settings)
    : channel_(channel),
      barrier_(barrier),
      members_(members),
      settings_(std::move(settings)),
      bets_file_(settings_.storage_path) {}

void LotterySession::run() {
  // Until it has said which agency it is, a connection is only a cost: it must do so soon.
  channel_.connection().set_deadline(settings_.hello_timeout);
  try {
    while (!ended_) {
      auto message = channel_.receive();
      if (!message) break;
      // Answers keep the order of requests: batches staged before anything else is answered.
      if (!std::holds_alternative<protocol::Batch>(*message)) store_staged_batches();
      std::visit([this](const auto& m) { on(m); }, *message);
      // Everything received is stored and answered before the channel waits for more.
      if (!channel_.has_message()) store_staged_batches();
    }
    if (!handed_over_) channel_.flush();
  } catch (const protocol::ProtocolError&) {
    // The batches before a malformed frame were whole and valid.
    store_staged_batches();
    throw;
  }
}

bool LotterySession::still_betting() { return !barrier_.finished(position_); }

void LotterySession::store_staged_batches() {
  if (staged_batches_.empty()) return;
  const auto answer_all = [&](Result result, protocol::AckCode code, const char* error) {
    for (const std::size_t bets : staged_batches_) {
      Event event("apuesta_recibida", result);
      event.with("cantidad", bets);
      if (error != nullptr) event.with("agency", *agency_).with("error", error);
      if (result == Result::kSuccess) {
        logging::info(event);
      } else {
        logging::error(event);
      }
      acknowledge(code);
    }
    staged_batches_.clear();
  };
  bool stored = false;
  try {
    stored = bets_file_.store_staged([this] { return still_betting(); });
  } catch (const std::exception& error) {
    answer_all(Result::kFail, protocol::AckCode::kStorageFailure, error.what());
    return;
  }
  if (stored) {
    answer_all(Result::kSuccess, protocol::AckCode::kOk, nullptr);
  } else {
    answer_all(Result::kFail, protocol::AckCode::kBettingClosed, kBettingClosed);
  }
}

void LotterySession::acknowledge(protocol::AckCode code, std::uint16_t bet_index) {
  // Posted: a client with several batches in flight gets their Acks in one write, and
  // the channel still sends them before it next waits for the client.
  channel_.post(protocol::Ack{code, bet_index});
}

void LotterySession::refuse(protocol::AckCode code, std::uint16_t bet_index) {
  // The batches staged so far were received first, so they are answered first.
  store_staged_batches();
  acknowledge(code, bet_index);
}

void LotterySession::refuse_and_end(protocol::AckCode code, const std::string& why,
                                    std::optional<std::uint32_t> claimed) {
  Event event("identify", Result::kFail);
  event.with("ip", channel_.connection().peer());
  if (agency_) event.with("agency", *agency_);
  if (claimed) event.with("claimed_agency", *claimed);
  logging::warning(event.with("error", why));
  refuse(code);
  ended_ = true;
}

bool LotterySession::identified_as(std::optional<std::uint32_t> agency) {
  if (!agency_) {
    refuse_and_end(protocol::AckCode::kUnexpectedMessage, "request before Hello", agency);
    return false;
  }
  if (agency && *agency != *agency_) {
    refuse_and_end(protocol::AckCode::kWrongAgency, "a connection speaks for the agency of its Hello only", agency);
    return false;
  }
  return true;
}

void LotterySession::on(const protocol::Hello& hello) {
  if (agency_) {
    // Saying it again is harmless; saying another agency is not.
    if (hello.agency != *agency_) {
      refuse_and_end(protocol::AckCode::kWrongAgency, "a connection speaks for the agency of its Hello only",
                     hello.agency);
      return;
    }
    acknowledge(protocol::AckCode::kOk);
    return;
  }
  const auto position = members_.position_of(hello.agency);
  if (!position) {
    refuse_and_end(protocol::AckCode::kUnknownAgency, "not one of the round's agencies", hello.agency);
    return;
  }
  agency_ = hello.agency;
  position_ = *position;
  channel_.connection().set_deadline(std::nullopt);
  acknowledge(protocol::AckCode::kOk);
}

void LotterySession::on(const protocol::SingleBet& single) {
  if (!identified_as(single.bet.agency)) return;
  const lottery::Bet& bet = single.bet;
  const auto fail = [&](protocol::AckCode code, const std::string& error) {
    logging::error(Event("apuesta_almacenada", Result::kFail)
                       .with("dni", bet.document)
                       .with("numero", bet.number)
                       .with("error", error));
    acknowledge(code);
  };
  if (const auto problem = lottery::validate(bet)) {
    fail(protocol::AckCode::kInvalidBet, *problem);
    return;
  }
  try {
    if (!bets_file_.store(std::span(&bet, 1), [this] { return still_betting(); })) {
      fail(protocol::AckCode::kBettingClosed, kBettingClosed);
      return;
    }
  } catch (const std::exception& error) {
    fail(protocol::AckCode::kStorageFailure, error.what());
    return;
  }
  logging::info(Event("apuesta_almacenada", Result::kSuccess)
                    .with("dni", bet.document)
                    .with("numero", bet.number));
  acknowledge(protocol::AckCode::kOk);
}

void LotterySession::on(const protocol::Batch& batch) {
  if (!identified_as(batch.agency)) return;
  for (std::size_t i = 0; i < batch.bets.size(); ++i) {
    if (const auto problem = lottery::validate(batch.bets[i])) {
      logging::error(Event("apuesta_recibida", Result::kFail)
                         .with("cantidad", batch.bets.size())
                         .with("agency", batch.agency)
                         .with("error", "bet " + std::to_string(i) + ": " + *problem));
      refuse(protocol::AckCode::kInvalidBet, static_cast<std::uint16_t>(i));
      return;
    }
  }
  // Stored with the batches received after it and before the channel waits (run()): one
  // write and one lock for all of them, and each Ack still only once its rows are written.
  bets_file_.stage(batch.bets);
  staged_batches_.push_back(batch.bets.size());
}

void LotterySession::on(const protocol::Finished&) {
  if (!identified_as(std::nullopt)) return;
  // Under the lock every store takes: a batch of this agency is either stored before it
  // finished, or refused after; none can slip in between, in this process or another.
  auto outcome = draw::DrawBarrier::Finish::kAlreadyFinished;
  bets_file_.run_exclusively([&] { outcome = barrier_.finish(position_); });
  logging::debug(Event("agency_finished", Result::kSuccess).with("agency", *agency_));
  if (outcome == draw::DrawBarrier::Finish::kHeldTheDraw) {
    // No bet can enter the file any more: the draw's winners are fixed, so record them now.
    draw::record_draw(settings_.storage_path, [this] { announce_draw(); });
    if (settings_.on_draw) settings_.on_draw();
  }
  acknowledge(protocol::AckCode::kOk);
}

void LotterySession::on(const protocol::WinnersQuery& query) {
  if (!identified_as(query.agency)) return;
  if (barrier_.drawn()) {
    answer_winners();
    return;
  }
  if (!settings_.hand_over_until_draw) {
    channel_.send(protocol::NotReady{});
    return;
  }
  channel_.flush();
  if (channel_.has_message()) throw protocol::ProtocolError("a message after a winners query, before the answer");
  settings_.hand_over_until_draw(*agency_, channel_.connection());
  logging::debug(Event("wait_for_draw", Result::kInProgress).with("agency", *agency_));
  handed_over_ = true;
  ended_ = true;
}

void LotterySession::answer_winners() {
  const auto documents = draw::recorded_winners(settings_.storage_path, [this] { announce_draw(); }).of(*agency_);
  for (const auto& part : protocol::split_winners(documents)) channel_.post(part);
  channel_.flush();
  logging::debug(Event("winners_sent", Result::kSuccess)
                     .with("agency", *agency_)
                     .with("cant_ganadores", documents.size()));
}

void LotterySession::announce_draw() { logging::info(Event("sorteo", Result::kSuccess)); }

template <typename Unexpected>
void LotterySession::on(const Unexpected& message) {
  logging::warning(Event("receive_message", Result::kFail)
                       .with("ip", channel_.connection().peer())
                       .with("error", std::string("unexpected ") + protocol::name_of(message)));
  acknowledge(protocol::AckCode::kUnexpectedMessage);
}

}  // namespace tp0::server
