#include "server/lottery_session.h"

#include <span>
#include <utility>

#include "common/logging/logging.h"
#include "common/lottery/bet.h"
#include "common/net/errors.h"
#include "common/protocol/codec.h"
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
    : channel_(channel), barrier_(barrier), settings_(std::move(settings)) {}

void LotterySession::run() {
  while (auto message = channel_.receive()) {
    std::visit([this](const auto& m) { on(m); }, *message);
  }
}

void LotterySession::acknowledge(protocol::AckCode code, std::uint16_t bet_index) {
  // Posted: a client with several batches in flight gets their Acks in one write, and
  // the channel still sends them before it next waits for the client.
  channel_.post(protocol::Ack{code, bet_index});
}

void LotterySession::store(std::span<const lottery::Bet> bets) {
  if (!bets_file_) bets_file_.emplace(settings_.storage_path);
  bets_file_->store(bets);
}

bool LotterySession::identified_as(std::optional<std::uint32_t> agency) {
  if (!agency_) {
    logging::warning(Event("identify", Result::kFail)
                         .with("ip", channel_.connection().peer())
                         .with("error", "request before Hello"));
    acknowledge(protocol::AckCode::kUnexpectedMessage);
    return false;
  }
  if (agency && *agency != *agency_) {
    logging::warning(Event("identify", Result::kFail)
                         .with("ip", channel_.connection().peer())
                         .with("agency", *agency_)
                         .with("claimed_agency", *agency));
    acknowledge(protocol::AckCode::kWrongAgency);
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
    store(std::span(&bet, 1));
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
      acknowledge(protocol::AckCode::kInvalidBet, static_cast<std::uint16_t>(i));
      return;
    }
  }
  try {
    store(batch.bets);
  } catch (const std::exception& error) {
    logging::error(Event("apuesta_recibida", Result::kFail)
                       .with("cantidad", batch.bets.size())
                       .with("agency", batch.agency)
                       .with("error", error.what()));
    acknowledge(protocol::AckCode::kStorageFailure);
    return;
  }
  logging::info(Event("apuesta_recibida", Result::kSuccess).with("cantidad", batch.bets.size()));
  acknowledge(protocol::AckCode::kOk);
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
