#include "server/lottery_session.h"

#include <span>
#include <utility>

#include "common/logging/logging.h"
#include "common/lottery/bet.h"
#include "common/net/errors.h"
#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "common/sys/signals.h"
#include "server/storage/bets_file.h"
#include "server/storage/winners.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

}  // namespace

LotterySession::LotterySession(protocol::Channel& channel, draw::DrawBarrier& barrier,
                               LotterySettings settings)
    : channel_(channel), barrier_(barrier), settings_(std::move(settings)), bets_file_(settings_.storage_path) {}

void LotterySession::run() {
  try {
    while (auto message = channel_.receive()) {
      // Answers keep the order of requests: batches staged before anything else is answered.
      if (!std::holds_alternative<protocol::Batch>(*message)) store_staged_batches();
      std::visit([this](const auto& m) { on(m); }, *message);
      // Everything received is stored and answered before the channel waits for more.
      if (!channel_.has_message()) store_staged_batches();
    }
  } catch (const protocol::ProtocolError&) {
    // The batches before a malformed frame were whole and valid.
    store_staged_batches();
    throw;
  }
}

void LotterySession::store_staged_batches() {
  if (staged_batches_.empty()) return;
  try {
    bets_file_.store_staged();
  } catch (const std::exception& error) {
    for (const std::size_t bets : staged_batches_) {
      logging::error(Event("apuesta_recibida", Result::kFail)
                         .with("cantidad", bets)
                         .with("agency", *agency_)
                         .with("error", error.what()));
      acknowledge(protocol::AckCode::kStorageFailure);
    }
    staged_batches_.clear();
    return;
  }
  for (const std::size_t bets : staged_batches_) {
    logging::info(Event("apuesta_recibida", Result::kSuccess).with("cantidad", bets));
    acknowledge(protocol::AckCode::kOk);
  }
  staged_batches_.clear();
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

bool LotterySession::identified_as(std::optional<std::uint32_t> agency) {
  if (!agency_) {
    logging::warning(Event("identify", Result::kFail)
                         .with("ip", channel_.connection().peer())
                         .with("error", "request before Hello"));
    refuse(protocol::AckCode::kUnexpectedMessage);
    return false;
  }
  if (agency && *agency != *agency_) {
    logging::warning(Event("identify", Result::kFail)
                         .with("ip", channel_.connection().peer())
                         .with("agency", *agency_)
                         .with("claimed_agency", *agency));
    refuse(protocol::AckCode::kWrongAgency);
    return false;
  }
  return true;
}

void LotterySession::on(const protocol::Hello& hello) {
  if (hello.agency == 0 || (agency_ && *agency_ != hello.agency)) {
    acknowledge(protocol::AckCode::kWrongAgency);
    return;
  }
  agency_ = hello.agency;
  acknowledge(protocol::AckCode::kOk);
}

void LotterySession::on(const protocol::SingleBet& single) {
  if (!identified_as(single.bet.agency)) return;
  const lottery::Bet& bet = single.bet;
  if (const auto problem = lottery::validate(bet)) {
    logging::error(Event("apuesta_almacenada", Result::kFail)
                       .with("dni", bet.document)
                       .with("numero", bet.number)
                       .with("error", *problem));
    acknowledge(protocol::AckCode::kInvalidBet);
    return;
  }
  try {
    bets_file_.store(std::span(&bet, 1));
  } catch (const std::exception& error) {
    logging::error(Event("apuesta_almacenada", Result::kFail)
                       .with("dni", bet.document)
                       .with("numero", bet.number)
                       .with("error", error.what()));
    acknowledge(protocol::AckCode::kStorageFailure);
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
  logging::debug(Event("agency_finished", Result::kSuccess).with("agency", *agency_));
  if (barrier_.finish(*agency_)) logging::info(Event("sorteo", Result::kSuccess));
  acknowledge(protocol::AckCode::kOk);
}

void LotterySession::on(const protocol::WinnersQuery& query) {
  if (!identified_as(query.agency)) return;
  if (!barrier_.drawn()) {
    if (!settings_.wait_for_draw) {
      channel_.send(protocol::NotReady{});
      return;
    }
    channel_.flush();
    net::Connection& connection = channel_.connection();
    logging::debug(Event("wait_for_draw", Result::kInProgress).with("agency", query.agency));
    if (!barrier_.wait_for_draw([&] { return connection.peer_hung_up(); })) {
      if (sys::signals::shutdown_requested()) throw net::ShutdownRequested();
      // Nobody is left to answer; end the child now rather than at the draw.
      throw net::PeerClosed(connection.peer() + " left while waiting for the draw");
    }
  }
  const auto documents = storage::winning_documents(settings_.storage_path, query.agency);
  for (const auto& part : protocol::split_winners(documents)) channel_.send(part);
  logging::debug(Event("winners_sent", Result::kSuccess)
                     .with("agency", query.agency)
                     .with("cant_ganadores", documents.size()));
}

template <typename Unexpected>
void LotterySession::on(const Unexpected& message) {
  logging::warning(Event("receive_message", Result::kFail)
                       .with("ip", channel_.connection().peer())
                       .with("error", std::string("unexpected ") + protocol::name_of(message)));
  acknowledge(protocol::AckCode::kUnexpectedMessage);
}

}  // namespace tp0::server
