#include "server/lottery_session.h"

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
// What a conversation's budget bounds, as the lines of one that spent it say.
constexpr const char* kBudget = "conversation (SERVER_CONVERSATION_BUDGET)";

// Each refusal is logged, so a peer sending refused messages in a loop would write the
// log at its own pace: a conversation ends at its fourth refusal. An honest client is
// never refused more than once (it validates its bets, and starts over when told to).
constexpr std::size_t kRefusalsPerConversation = 4;

// Whether the message carries bets: those are staged, anything else is answered after
// the bets received before it are stored.
bool carries_bets(const protocol::Message& message) {
  return std::holds_alternative<protocol::Batch>(message) ||
         std::holds_alternative<protocol::SingleBet>(message);
}

}  // namespace

LotterySession::LotterySession(protocol::Channel& channel, round::Round& round,
                               const config::ServerConfig& config, BeforeTheDraw& before_the_draw,
                               const Proof& proof, Identified identified,
                               std::optional<std::chrono::milliseconds> budget)
    : channel_(channel),
      round_(round),
      config_(config),
      before_the_draw_(before_the_draw),
      proof_(proof),
      identified_(std::move(identified)),
      budget_(budget),
      bets_file_(round_.writer(config_.storage_path, config_.durability)) {}

bool LotterySession::run() {
  try {
    while (!ended_) {
      // Spent, with no message read whole left: those read are all answered (the bets
      // stored), and nothing more is read.
      if (!channel_.has_message() && budget_ends_ && std::chrono::steady_clock::now() >= *budget_ends_) {
        logging::warning(Event("close_connection", Result::kFail)
                             .with("ip", channel_.connection().peer())
                             .with("agency", *agency_)
                             .with("error", std::string(kBudget) + " spent"));
        break;
      }
      auto message = channel_.receive();
      if (!message) break;
      // Answers keep the order of requests: batches staged before anything else is answered.
      if (!carries_bets(*message)) store_staged_batches();
      // A refusal that ended the conversation ends it for what came behind it too.
      if (ended_) break;
      std::visit([this](const auto& m) { on(m); }, *message);
      // Everything received is stored and answered before the channel waits for more.
      if (!channel_.has_message()) store_staged_batches();
    }
    if (!handed_over_) channel_.flush();
    return handed_over_;
  } catch (const protocol::ProtocolError&) {
    // The batches before a malformed frame were whole and valid.
    store_staged_batches();
    throw;
  }
}

logging::Event LotterySession::Received::line(logging::Result result, std::uint32_t agency) const {
  if (single) {
    Event event("apuesta_almacenada", result);
    event.with("dni", single->document).with("numero", single->number);
    return event;
  }
  Event event("apuesta_recibida", result);
  event.with("cantidad", bets);
  if (result == Result::kFail) event.with("agency", agency);
  return event;
}

void LotterySession::on(const protocol::SingleBet& single) {
  if (!identified_as(single.bet.agency)) return;
  take({1, single.bet, single.position}, std::span(&single.bet, 1));
}

void LotterySession::on(const protocol::Batch& batch) {
  if (!identified_as(batch.agency)) return;
  take({batch.bets.size(), std::nullopt, batch.first_position}, batch.bets);
}

void LotterySession::take(Received received, std::span<const lottery::Bet> bets) {
  for (std::size_t i = 0; i < bets.size(); ++i) {
    if (const auto problem = lottery::validate(bets[i])) {
      store_staged_batches();
      refuse_bets(received, protocol::AckCode::kInvalidBet, "bet " + std::to_string(i) + ": " + *problem,
                  static_cast<std::uint16_t>(i));
      return;
    }
  }
  // A batch the agency stored already ended within the limit: only new bets can pass it.
  if (received.position + bets.size() > config_.max_bets_per_agency) {
    store_staged_batches();
    refuse_bets(received, protocol::AckCode::kTooManyBets,
                "the agency has stored as many bets as the server allows: " +
                    std::to_string(received.position) + " + " + std::to_string(bets.size()) + " would pass " +
                    std::to_string(config_.max_bets_per_agency) +
                    " (SERVER_MAX_BETS_PER_AGENCY); nothing of the message was stored");
    // One agency cannot fill the disk by sending again and again.
    ended_ = true;
    return;
  }
  // Where the next batch must start: after the staged ones, or where the stored ones end.
  const std::uint64_t stream_end = staged_.empty() ? stored_ : staged_.back().position + staged_.back().bets;
  const bool in_place = received.position == stream_end;
  // After the staged batches: the stream may end elsewhere once they are stored.
  if (!in_place) store_staged_batches();
  if (ended_) return;
  bets_file_.stage(bets);
  staged_.push_back(std::move(received));
  if (!in_place) store_staged_batches();
}

void LotterySession::store_staged_batches() {
  if (staged_.empty()) return;
  // Whatever happens to them, the staged batches are no longer staged.
  const std::vector<Received> batches = std::exchange(staged_, {});
  auto outcome = storage::StoreOutcome::kStored;
  std::optional<std::string> failure;
  try {
    const storage::Stored stored = bets_file_.store_staged({*agency_, batches.front().position});
    // What the file holds now: another connection of the agency may have stored meanwhile.
    stored_ = stored.stream_end;
    outcome = stored.outcome;
  } catch (const std::exception& error) {
    failure = error.what();
  }
  for (const Received& batch : batches) {
    if (failure) {
      refuse_bets(batch, protocol::AckCode::kStorageFailure, *failure);
    } else {
      answer(batch, outcome);
    }
  }
}

void LotterySession::answer(const Received& batch, storage::StoreOutcome outcome) {
  switch (outcome) {
    case storage::StoreOutcome::kStored:
      logging::info(batch.line(Result::kSuccess, *agency_));
      acknowledge(protocol::AckCode::kOk);
      return;
    case storage::StoreOutcome::kHeld:
      logging::info(Event("apuesta_repetida", Result::kSuccess)
                        .with("cantidad", batch.bets)
                        .with("agency", *agency_)
                        .with("posicion", batch.position));
      acknowledge(protocol::AckCode::kOk);
      return;
    case storage::StoreOutcome::kClosed:
      refuse_bets(batch, protocol::AckCode::kBettingClosed, kBettingClosed);
      return;
    case storage::StoreOutcome::kOutOfPlace:
      refuse_bets(batch, protocol::AckCode::kOutOfPlace,
                  "the batch at position " + std::to_string(batch.position) +
                      " is not where the agency's stored bets end (" + std::to_string(stored_) +
                      ") nor the batch held there");
      // After a gap the batches behind this one are out of place too: the client starts over.
      ended_ = true;
      return;
  }
}

void LotterySession::refuse_bets(const Received& batch, protocol::AckCode code, const std::string& error,
                                 std::uint16_t bet_index) {
  logging::error(batch.line(Result::kFail, *agency_).with("error", error));
  acknowledge(code, bet_index);
}

void LotterySession::acknowledge(protocol::AckCode code, std::uint16_t bet_index) {
  // Posted: a client with several batches in flight gets their Acks in one write, and
  // the channel still sends them before it next waits for the client.
  channel_.post(protocol::Ack{code, bet_index});
  if (code == protocol::AckCode::kOk || ended_ || ++refusals_ < kRefusalsPerConversation) return;
  logging::warning(
      Event("close_connection", Result::kFail)
          .with("ip", channel_.connection().peer())
          .with("error", std::to_string(refusals_) + " messages refused: the conversation ends"));
  ended_ = true;
}

void LotterySession::refuse_and_end(protocol::AckCode code, const std::string& why,
                                    std::optional<std::uint32_t> claimed) {
  Event event("identify", Result::kFail);
  event.with("ip", channel_.connection().peer());
  if (agency_) event.with("agency", *agency_);
  proof_.describe(event);
  if (claimed) event.with("claimed_agency", *claimed);
  logging::warning(event.with("error", why));
  // The batches staged so far were received first, so they are answered first.
  store_staged_batches();
  acknowledge(code);
  ended_ = true;
}

bool LotterySession::identified_as(std::optional<std::uint32_t> agency) {
  if (!agency_) {
    refuse_and_end(protocol::AckCode::kUnexpectedMessage, "request before Hello", agency);
    return false;
  }
  if (agency && *agency != *agency_) {
    refuse_and_end(protocol::AckCode::kWrongAgency, "a connection speaks for the agency of its Hello only",
                   agency);
    return false;
  }
  return true;
}

void LotterySession::on(const protocol::Hello& hello) {
  // Answered again, a Hello now and then would keep a conversation going that does
  // nothing, and a sequential server with it.
  if (agency_) {
    refuse_unexpected("second Hello");
    return;
  }
  std::optional<std::string> why = proof_.refuses(hello.agency);
  if (!why && !round_.position_of(hello.agency)) why = "not one of the round's agencies";
  if (why) {
    refuse_and_end(protocol::AckCode::kUnknownAgency, *why, hello.agency);
    return;
  }
  agency_ = hello.agency;
  start_budget();
  if (identified_) identified_(*agency_);
  // Where the agency's stream ends now, whichever connection stored it.
  try {
    stored_ = bets_file_.stream_state(*agency_).position;
  } catch (const std::exception& error) {
    logging::error(Event("identify", Result::kFail).with("agency", *agency_).with("error", error.what()));
    acknowledge(protocol::AckCode::kStorageFailure);
    ended_ = true;
    return;
  }
  // stored_ fits: no batch ending past max_bets_per_agency, a 32-bit number, is stored.
  channel_.post(protocol::Resume{static_cast<std::uint32_t>(stored_)});
}

void LotterySession::start_budget() {
  // The introduction's deadline gives way to the budget's, or to none.
  channel_.connection().set_deadline(budget_, kBudget);
  if (budget_) budget_ends_ = std::chrono::steady_clock::now() + *budget_;
}

void LotterySession::on(const protocol::Finished&) {
  if (!identified_as(std::nullopt)) return;
  // Under the lock every store takes: a batch of this agency is either stored before its
  // stream closed, or refused after; none can slip in between, in this process or another.
  bets_file_.close_stream(*agency_);
  logging::debug(Event("agency_finished", Result::kSuccess).with("agency", *agency_));
  if (round_.claim_the_draw()) {
    // No bet can enter the file any more: the draw's winners are fixed, so record them now.
    draw::record_draw(config_.storage_path, config_.durability, log_draw);
    before_the_draw_.draw_held();
    // The draw is the round's work, not the agency's, and a large one takes a while: it
    // counts against no budget, so that the agency may still ask for its winners here.
    start_budget();
  }
  acknowledge(protocol::AckCode::kOk);
}

void LotterySession::on(const protocol::WinnersQuery& query) {
  if (!identified_as(query.agency)) return;
  if (!round_.drawn()) {
    // A connection handed over is no longer this session's to speak on.
    ended_ = handed_over_ = before_the_draw_.answer_early_query(*agency_, channel_);
    return;
  }
  // Each frame goes out as soon as it is full: the answer holds one frame and the
  // record's read buffer, however many winners the agency has.
  protocol::WinnersSplitter splitter([this](const protocol::Winners& part) { channel_.send(part); });
  const std::uint64_t winners =
      draw::visit_winners(config_.storage_path, *agency_, config_.durability, log_draw,
                          [&](const std::string& document) { splitter.add(document); });
  splitter.finish();
  logging::debug(
      Event("winners_sent", Result::kSuccess).with("agency", *agency_).with("cant_ganadores", winners));
}

void log_draw() { logging::info(Event("sorteo", Result::kSuccess)); }

template <typename Unexpected>
void LotterySession::on(const Unexpected& message) {
  refuse_unexpected(protocol::name_of(message));
}

void LotterySession::refuse_unexpected(const char* name) {
  logging::warning(Event("receive_message", Result::kFail)
                       .with("ip", channel_.connection().peer())
                       .with("error", std::string("unexpected ") + name));
  acknowledge(protocol::AckCode::kUnexpectedMessage);
  ended_ = true;
}

}  // namespace tp0::server
