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
constexpr const char* kStreamMoved = "another connection of the agency stored bets meanwhile";

// Each refusal is logged, so a peer sending refused messages in a loop would write the
// log at its own pace: a conversation ends at its fourth refusal. An honest client is
// never refused more than once (it validates its bets, and starts over when told to).
constexpr std::size_t kRefusalsPerConversation = 4;

}  // namespace

LotterySession::LotterySession(protocol::Channel& channel, round::Round& round, LotterySettings settings,
                               std::optional<std::uint32_t> certified_agency, Identified identified)
    : channel_(channel),
      round_(round),
      settings_(std::move(settings)),
      certified_agency_(certified_agency),
      identified_(std::move(identified)),
      bets_file_(round_.writer(settings_.storage_path, settings_.durability)) {}

void LotterySession::run() {
  try {
    while (!ended_) {
      auto message = channel_.receive();
      if (!message) break;
      // Answers keep the order of requests: batches staged before anything else is answered.
      if (!std::holds_alternative<protocol::Batch>(*message)) store_staged_batches();
      // A refusal that ended the conversation ends it for what came behind it too.
      if (ended_) break;
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
  // Whatever happens to them, the staged batches are no longer staged.
  next_position_ = stored_;
  storage::Stored stored;
  try {
    stored = bets_file_.store_staged({*agency_, stored_});
  } catch (const std::exception& error) {
    answer_all(Result::kFail, protocol::AckCode::kStorageFailure, error.what());
    return;
  }
  switch (stored.outcome) {
    case storage::StoreOutcome::kStored:
      stored_ = stored.stream_end;
      next_position_ = stored_;
      answer_all(Result::kSuccess, protocol::AckCode::kOk, nullptr);
      break;
    case storage::StoreOutcome::kClosed:
      answer_all(Result::kFail, protocol::AckCode::kBettingClosed, kBettingClosed);
      break;
    case storage::StoreOutcome::kHeld:
    case storage::StoreOutcome::kOutOfPlace:
      // Another connection of this agency stored bets meanwhile: this one's view is stale.
      answer_all(Result::kFail, protocol::AckCode::kOutOfPlace, kStreamMoved);
      ended_ = true;
      break;
  }
}

void LotterySession::on_batch_out_of_place(const protocol::Batch& batch) {
  // The staged batches come first.
  store_staged_batches();
  if (ended_) return;
  const auto refuse_batch = [&](protocol::AckCode code, const std::string& error) {
    logging::error(Event("apuesta_recibida", Result::kFail)
                       .with("cantidad", batch.bets.size())
                       .with("agency", *agency_)
                       .with("error", error));
    acknowledge(code);
  };
  storage::Stored stored{storage::StoreOutcome::kOutOfPlace, stored_};
  // Positions are 32-bit on the wire: a batch that would end past them cannot be numbered.
  if (batch.first_position + batch.bets.size() <= UINT32_MAX) {
    try {
      stored = bets_file_.store(batch.bets, {*agency_, batch.first_position});
    } catch (const std::exception& error) {
      refuse_batch(protocol::AckCode::kStorageFailure, error.what());
      return;
    }
  }
  // What the file holds now: another connection of the agency may have stored meanwhile.
  const std::uint64_t stream_end = stored.stream_end;
  switch (stored.outcome) {
    case storage::StoreOutcome::kStored:
      logging::info(Event("apuesta_recibida", Result::kSuccess).with("cantidad", batch.bets.size()));
      acknowledge(protocol::AckCode::kOk);
      break;
    case storage::StoreOutcome::kHeld:
      logging::info(Event("apuesta_repetida", Result::kSuccess)
                        .with("cantidad", batch.bets.size())
                        .with("agency", *agency_)
                        .with("posicion", batch.first_position));
      acknowledge(protocol::AckCode::kOk);
      break;
    case storage::StoreOutcome::kClosed:
      refuse_batch(protocol::AckCode::kBettingClosed, kBettingClosed);
      break;
    case storage::StoreOutcome::kOutOfPlace:
      refuse_batch(protocol::AckCode::kOutOfPlace,
                   "the batch at position " + std::to_string(batch.first_position) +
                       " is not where the agency's stored bets end (" + std::to_string(stream_end) +
                       ") nor the batch held there");
      // After a gap the batches behind this one are out of place too: the client starts over.
      ended_ = true;
      break;
  }
  stored_ = stream_end;
  next_position_ = stored_;
}

void LotterySession::acknowledge(protocol::AckCode code, std::uint16_t bet_index) {
  // Posted: a client with several batches in flight gets their Acks in one write, and
  // the channel still sends them before it next waits for the client.
  channel_.post(protocol::Ack{code, bet_index});
  if (code == protocol::AckCode::kOk || ended_ || ++refusals_ < kRefusalsPerConversation) return;
  logging::warning(Event("close_connection", Result::kFail)
                       .with("ip", channel_.connection().peer())
                       .with("error", std::to_string(refusals_) + " messages refused: the conversation ends"));
  ended_ = true;
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
  if (certified_agency_) event.with("certificate_agency", *certified_agency_);
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
    resume();
    return;
  }
  if (certified_agency_ && hello.agency != *certified_agency_) {
    refuse_and_end(protocol::AckCode::kUnknownAgency, "the client certificate names another agency", hello.agency);
    return;
  }
  if (!round_.position_of(hello.agency)) {
    refuse_and_end(protocol::AckCode::kUnknownAgency, "not one of the round's agencies", hello.agency);
    return;
  }
  agency_ = hello.agency;
  channel_.connection().set_deadline(std::nullopt);
  if (identified_) identified_(*agency_);
  resume();
}

void LotterySession::resume() {
  try {
    stored_ = bets_file_.stream_state(*agency_).position;
  } catch (const std::exception& error) {
    logging::error(Event("identify", Result::kFail).with("agency", *agency_).with("error", error.what()));
    acknowledge(protocol::AckCode::kStorageFailure);
    ended_ = true;
    return;
  }
  next_position_ = stored_;
  // stored_ fits: no batch ending past UINT32_MAX is stored (on(Batch)).
  channel_.post(protocol::Resume{static_cast<std::uint32_t>(stored_)});
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
  if (const auto too_many = past_the_limit(single.position, 1)) {
    fail(protocol::AckCode::kTooManyBets, *too_many);
    ended_ = true;
    return;
  }
  // Numbered like a batch of one: stored where the stream ends, acknowledged again where
  // the journal holds it, refused anywhere else.
  storage::Stored stored;
  try {
    stored = bets_file_.store(std::span(&bet, 1), {*agency_, single.position});
  } catch (const std::exception& error) {
    fail(protocol::AckCode::kStorageFailure, error.what());
    return;
  }
  stored_ = stored.stream_end;
  next_position_ = stored_;
  switch (stored.outcome) {
    case storage::StoreOutcome::kStored:
      logging::info(Event("apuesta_almacenada", Result::kSuccess).with("dni", bet.document).with("numero", bet.number));
      acknowledge(protocol::AckCode::kOk);
      break;
    case storage::StoreOutcome::kHeld:
      logging::info(Event("apuesta_repetida", Result::kSuccess)
                        .with("cantidad", 1)
                        .with("agency", *agency_)
                        .with("posicion", single.position));
      acknowledge(protocol::AckCode::kOk);
      break;
    case storage::StoreOutcome::kClosed:
      fail(protocol::AckCode::kBettingClosed, kBettingClosed);
      break;
    case storage::StoreOutcome::kOutOfPlace:
      fail(protocol::AckCode::kOutOfPlace, "the bet at position " + std::to_string(single.position) +
                                               " is not where the agency's stored bets end (" +
                                               std::to_string(stored_) + ") nor the bet held there");
      ended_ = true;
      break;
  }
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
  if (const auto too_many = past_the_limit(batch.first_position, batch.bets.size())) {
    logging::error(Event("apuesta_recibida", Result::kFail)
                       .with("cantidad", batch.bets.size())
                       .with("agency", batch.agency)
                       .with("error", *too_many));
    refuse(protocol::AckCode::kTooManyBets);
    // One agency cannot fill the disk by sending again and again.
    ended_ = true;
    return;
  }
  if (batch.first_position != next_position_ || next_position_ + batch.bets.size() > UINT32_MAX) {
    on_batch_out_of_place(batch);
    return;
  }
  // Stored with the batches received after it and before the channel waits (run()): one
  // write and one lock for all of them, and each Ack still only once its rows are written.
  bets_file_.stage(batch.bets);
  staged_batches_.push_back(batch.bets.size());
  next_position_ += batch.bets.size();
}

void LotterySession::on(const protocol::Finished&) {
  if (!identified_as(std::nullopt)) return;
  // Under the lock every store takes: a batch of this agency is either stored before its
  // stream closed, or refused after; none can slip in between, in this process or another.
  bets_file_.close_stream(*agency_);
  logging::debug(Event("agency_finished", Result::kSuccess).with("agency", *agency_));
  if (round_.claim_the_draw()) {
    // No bet can enter the file any more: the draw's winners are fixed, so record them now.
    draw::record_draw(settings_.storage_path, settings_.durability, log_draw);
    if (settings_.on_draw) settings_.on_draw();
  }
  acknowledge(protocol::AckCode::kOk);
}

void LotterySession::on(const protocol::WinnersQuery& query) {
  if (!identified_as(query.agency)) return;
  if (round_.drawn()) {
    answer_winners();
    return;
  }
  if (!settings_.hand_over_until_draw) {
    channel_.send(protocol::NotReady{});
    return;
  }
  if (channel_.has_message()) throw protocol::ProtocolError("a message after a winners query, before the answer");
  channel_.send(protocol::WaitForDraw{});
  // What travels to the waiting room is the socket alone: the session ends here, both
  // ways, within the frame timeout like any other exchange, however slowly the peer
  // answers our close_notify.
  {
    const net::DeadlineGuard end_deadline(channel_.connection(), channel_.frame_timeout(), "close_notify");
    channel_.connection().return_to_plain();
  }
  settings_.hand_over_until_draw(*agency_, channel_.connection());
  logging::debug(Event("wait_for_draw", Result::kInProgress).with("agency", *agency_));
  handed_over_ = true;
  ended_ = true;
}

std::optional<std::string> LotterySession::past_the_limit(std::uint64_t first_position, std::size_t bets) const {
  // A batch the agency stored already ended within the limit: only new bets can pass it.
  if (first_position + bets <= settings_.max_bets_per_agency) return std::nullopt;
  return "the agency has stored as many bets as the server allows: " + std::to_string(first_position) + " + " +
         std::to_string(bets) + " would pass " + std::to_string(settings_.max_bets_per_agency) +
         " (SERVER_MAX_BETS_PER_AGENCY); nothing of the message was stored";
}

void LotterySession::answer_winners() {
  // Each frame goes out as soon as it is full: the answer holds one frame and the
  // record's read buffer, however many winners the agency has.
  protocol::WinnersSplitter splitter([this](const protocol::Winners& part) { channel_.send(part); });
  const std::uint64_t winners =
      draw::visit_winners(settings_.storage_path, *agency_, settings_.durability, log_draw,
                          [&](const std::string& document) { splitter.add(document); });
  splitter.finish();
  logging::debug(Event("winners_sent", Result::kSuccess).with("agency", *agency_).with("cant_ganadores", winners));
}

void log_draw() { logging::info(Event("sorteo", Result::kSuccess)); }

template <typename Unexpected>
void LotterySession::on(const Unexpected& message) {
  logging::warning(Event("receive_message", Result::kFail)
                       .with("ip", channel_.connection().peer())
                       .with("error", std::string("unexpected ") + protocol::name_of(message)));
  refuse(protocol::AckCode::kUnexpectedMessage);
  ended_ = true;
}

}  // namespace tp0::server
