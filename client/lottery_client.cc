#include "client/lottery_client.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "client/batch_builder.h"
#include "client/server_link.h"
#include "common/logging/logging.h"
#include "common/lottery/bet_parsing.h"
#include "common/net/errors.h"
#include "common/protocol/errors.h"
#include "common/sys/signals.h"
#include "config/duration.h"

namespace tp0::client {
namespace {

using logging::Event;
using logging::Result;

// A sequential server answers NotReady until every agency has finished; ask again after
// a pause that grows up to a bound, so waiting agencies do not keep it busy.
constexpr std::chrono::milliseconds kFirstRetryPause{5};
constexpr std::chrono::milliseconds kLongestRetryPause{500};

// What each AckCode means, in the order of their values.
constexpr std::array<const char*, 10> kAckMeanings{
    "ok",
    "invalid bet",
    "wrong agency",
    "unexpected message",
    "storage failure",
    "server busy",
    "this agency is not one of the round's",
    "betting is closed for this agency (it has finished, or the draw is held)",
    "the batch does not continue the bets the server holds",
    "the agency has stored as many bets as the server allows (SERVER_MAX_BETS_PER_AGENCY); "
    "nothing of the message was stored"};
static_assert(kAckMeanings.size() == static_cast<std::size_t>(protocol::AckCode::kTooManyBets) + 1);

const char* describe(protocol::AckCode code) {
  const auto value = static_cast<std::size_t>(code);
  return value < kAckMeanings.size() ? kAckMeanings[value] : "unknown";
}

// `reply` as an `Expected`; any other message breaks the protocol.
template <typename Expected>
Expected& expect(protocol::Message& reply, const std::string& what) {
  if (auto* message = std::get_if<Expected>(&reply)) return *message;
  throw protocol::ProtocolError("expected " + what + ", got " + protocol::name_of(reply));
}

lottery::Bet bet_from_settings(const config::BetSettings& settings, std::uint32_t agency) {
  const auto number = lottery::parse_number(settings.number);
  if (!number) throw LotteryError("NUMERO \"" + settings.number + "\" is not an integer from 0 to 9999");
  lottery::Bet bet{agency, settings.first_name, settings.last_name, settings.document, settings.birthdate,
                   *number};
  if (const auto problem = lottery::validate(bet)) throw LotteryError("invalid bet: " + *problem);
  return bet;
}

}  // namespace

LotteryClient::LotteryClient(const config::ClientConfig& config, Handshake handshake)
    : config_(config),
      handshake_(std::move(handshake)),
      reconnects_(kFirstReconnectPause, kLongestReconnectPause, config.server_patience),
      draw_wait_(kFirstRetryPause, kLongestRetryPause, config.server_draw_timeout) {}

std::optional<protocol::Channel> LotteryClient::connect() {
  net::Connection connection = connect_with_retry(config_, reconnects_);
  if (!first_connected_at_) first_connected_at_ = std::chrono::system_clock::now();
  if (!handshake_(connection)) return std::nullopt;
  return protocol::Channel(std::move(connection));
}

protocol::Message LotteryClient::await_reply(const char* expected) {
  net::Connection& connection = channel_->connection();
  connection.set_deadline(reply_timeout(config_));
  protocol::Message reply = channel_->receive_expected(expected);
  connection.set_deadline(std::nullopt);
  return reply;
}

void LotteryClient::open_session() {
  while (true) {
    channel_ = connect();
    if (channel_) {
      channel_->send(protocol::Hello{config_.id});
      protocol::Message reply = await_reply("the answer to Hello");
      if (const auto* resume = std::get_if<protocol::Resume>(&reply)) {
        server_holds_ = resume->stored;
        reconnects_.succeeded();
        return;
      }
      const auto& ack = expect<protocol::Ack>(reply, "Resume or an Ack to Hello");
      if (ack.code != protocol::AckCode::kServerBusy) {
        throw LotteryError(std::string("server refused Hello: ") + describe(ack.code));
      }
    }
    // The server is busy: a plain one said so, a TLS one closed during the handshake.
    // It read nothing from us; like one still starting, it is worth waiting for.
    close_session();
    if (!reconnects_.another_attempt()) {
      throw ServerGone("server " + config_.server_address + " stayed busy for " +
                       config::format_duration(config_.server_patience) + " (server.patience)");
    }
    logging::info(Event("connect", Result::kInProgress)
                      .with("server_address", config_.server_address)
                      .with("error", "server busy"));
    reconnects_.wait();
  }
}

void LotteryClient::close_session(void (*log)(const logging::Event&)) {
  if (!channel_) return;
  const std::string peer = channel_->connection().peer();
  channel_->connection().close();
  channel_.reset();
  log(Event("close_connection", Result::kSuccess).with("ip", peer));
}

void LotteryClient::close() {
  if (file_) {
    file_->close();
    file_.reset();
    logging::info(Event("close_file", Result::kSuccess).with("file", config_.data_file));
  }
  close_session(logging::info);
}

void LotteryClient::expect_ack(const char* request) {
  protocol::Message reply = await_reply("an Ack");
  const auto& ack = expect<protocol::Ack>(reply, std::string("an Ack to ") + request);
  if (ack.code == protocol::AckCode::kOutOfPlace || ack.code == protocol::AckCode::kStorageFailure) {
    throw StartOver(std::string("server answered ") + request + ": " + describe(ack.code));
  }
  if (ack.code != protocol::AckCode::kOk) {
    throw LotteryError(
        std::string("server refused ") + request + ": " + describe(ack.code) +
        (ack.code == protocol::AckCode::kInvalidBet ? " (bet " + std::to_string(ack.bet_index) + ")" : ""));
  }
}

void LotteryClient::send_single_bet() {
  // The configuration sets the bet in mode bet.
  const lottery::Bet bet = bet_from_settings(config_.bet.value(), config_.id);
  // Fixed at the first answer: sent again, the bet goes where it went the first time.
  std::optional<std::uint32_t> position;
  resume_on_loss([&] {
    open_session();
    if (!position) position = server_holds_;
    channel_->send(protocol::SingleBet{bet, *position});
    expect_ack("the bet");
  });
  logging::info(
      Event("apuesta_enviada", Result::kSuccess).with("dni", bet.document).with("numero", bet.number));
  close_session();
}

void LotteryClient::send_batch(const protocol::Batch& batch) {
  if (in_flight_.size() == kBatchesInFlight) await_oldest_batch();
  channel_->send(batch);
  in_flight_.push_back({batch.bets.size(), std::chrono::steady_clock::now()});
}

void LotteryClient::await_oldest_batch() {
  const InFlightBatch oldest = in_flight_.front();
  in_flight_.pop_front();
  const std::string request =
      "batch " + std::to_string(batches_sent_ + 1) + " (" + std::to_string(oldest.bets) + " bets)";
  expect_ack(request.c_str());
  batch_round_trips_ += std::chrono::steady_clock::now() - oldest.sent_at;
  ++batches_sent_;
  bets_sent_ += oldest.bets;
  logging::debug(Event("batch_enviado", Result::kSuccess).with("cantidad", oldest.bets));
}

void LotteryClient::resume_on_loss(const std::function<void()>& attempt) {
  with_reconnects(config_, reconnects_, attempt, [this] {
    // Whatever was in flight on the old connection is settled by the next Hello's answer.
    if (channel_) channel_->connection().close_quietly();
    channel_.reset();
    in_flight_.clear();
  });
}

void LotteryClient::send_agency_file() {
  resume_on_loss([this] {
    open_session();
    // The file is read from its start on every connection: the bets the server already holds
    // are skipped, each stored once. A bad row is logged once, when first met.
    file_.emplace(config_.data_file, config_.id, [this](std::size_t line, const std::string& problem) {
      if (line <= last_rejected_line_) return;
      last_rejected_line_ = line;
      ++rejected_rows_;
      logging::error(Event("read_bet", Result::kFail)
                         .with("file", config_.data_file)
                         .with("line", line)
                         .with("error", problem));
    });
    lottery::Bet bet;
    std::uint32_t skipped = 0;
    while (skipped < server_holds_ && file_->next(bet)) ++skipped;
    if (skipped > 0) logging::info(Event("resume", Result::kSuccess).with("apuestas_almacenadas", skipped));
    if (skipped < server_holds_) {
      throw LotteryError("the server holds " + std::to_string(server_holds_) + " bets of this agency, but " +
                         config_.data_file + " has only " + std::to_string(skipped));
    }
    BatchBuilder builder(config_.id, config_.batch_max_amount, server_holds_);
    while (file_->next(bet)) {
      if (!builder.fits(bet)) {
        send_batch(builder.batch());
        builder.clear();
      }
      builder.add(std::exchange(bet, {}));
    }
    if (!builder.empty()) send_batch(builder.batch());
    while (!in_flight_.empty()) await_oldest_batch();
    file_->close();
    file_.reset();
    logging::debug(Event("close_file", Result::kSuccess).with("file", config_.data_file));
  });
  logging::info(Event("apuestas_enviadas", Result::kSuccess).with("cantidad", bets_sent_));
}

void LotteryClient::fetch_winners() {
  std::vector<std::string> winners;
  resume_on_loss([&] {
    winners.clear();
    if (!channel_) open_session();
    // Saying it again after a lost connection is harmless.
    channel_->send(protocol::Finished{});
    expect_ack("Finished");

    // Asked again until the draw is held, within server.drawTimeout: the other agencies
    // decide when.
    while (true) {
      channel_->send(protocol::WinnersQuery{config_.id});
      protocol::Message reply = await_reply("Winners");
      const bool waiting_room = std::holds_alternative<protocol::WaitForDraw>(reply);
      if (waiting_room || std::holds_alternative<protocol::NotReady>(reply)) {
        if (!draw_wait_.another_attempt()) throw_draw_not_held();
        if (waiting_room) {
          wait_for_draw();
        } else {
          // Give the connection back so that a sequential server can serve the others.
          close_session();
          draw_wait_.wait();
        }
        open_session();
        continue;
      }
      while (true) {
        auto& part = expect<protocol::Winners>(reply, "Winners");
        std::move(part.documents.begin(), part.documents.end(), std::back_inserter(winners));
        if (part.last) return;
        reply = await_reply("more Winners");
      }
    }
  });
  winners_at_ = std::chrono::system_clock::now();
  close_session();
  // The answer is logged even when a SIGTERM cuts the wait short: it has arrived.
  if (config_.winners_log_delay > std::chrono::nanoseconds::zero()) {
    sys::sleep_unless_shutdown(
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.winners_log_delay));
  }
  logging::info(Event("consulta_ganadores", Result::kSuccess).with("cant_ganadores", winners.size()));
}

void LotteryClient::wait_for_draw() {
  net::Connection& connection = channel_->connection();
  connection.set_deadline(reply_timeout(config_));
  connection.return_to_plain();
  // The server sends nothing more: the read returns at its close, which TCP keepalive
  // brings about if the server's machine is gone. A reset ends the wait the same way:
  // nothing was left to read, and the winners are asked for again either way.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*draw_wait_.gives_up_at() -
                                                                 std::chrono::steady_clock::now());
  connection.set_idle_timeout(std::nullopt);
  connection.set_deadline(std::max(left, std::chrono::milliseconds{0}));
  std::byte nothing{};
  try {
    connection.read_some({&nothing, 1});
  } catch (const net::IdleTimeout&) {
    throw_draw_not_held();
  } catch (const net::ConnectionReset& reset) {
    logging::debug(Event("wait_for_draw", Result::kSuccess).with("ended_by", reset.what()));
  }
  close_session();
}

void LotteryClient::throw_draw_not_held() const {
  throw LotteryError("the draw was not held within " + config::format_duration(config_.server_draw_timeout) +
                     " (server.drawTimeout)");
}

void LotteryClient::log_summary() const {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const auto unix_us = [](const std::optional<std::chrono::system_clock::time_point>& moment) {
    return moment ? duration_cast<microseconds>(moment->time_since_epoch()).count() : 0;
  };
  const auto mean_round_trip =
      batches_sent_ == 0 ? microseconds{0} : duration_cast<microseconds>(batch_round_trips_ / batches_sent_);
  logging::info(Event("lottery_summary", Result::kSuccess)
                    .with("client_id", config_.id)
                    .with("batches", batches_sent_)
                    .with("bets", bets_sent_)
                    .with("mean_round_trip_us", mean_round_trip.count())
                    .with("first_connect_unix_us", unix_us(first_connected_at_))
                    .with("winners_unix_us", unix_us(winners_at_)));
}

}  // namespace tp0::client
