#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>

#include "client/agency_file.h"
#include "client/server_link.h"
#include "common/logging/logging.h"
#include "common/protocol/channel.h"
#include "config/client_config.h"

namespace tp0::client {

// How each new connection is made ready for frames, chosen once at start (CLI_TLS): as it
// is, or after a TLS handshake. Returns false when the server closed the connection during
// the handshake: a busy TLS server refuses so. Throws IdleTimeout for a silent server,
// TlsError for one refused, ShutdownRequested.
using Handshake = std::function<bool(net::Connection& connection)>;

// One agency talking to the lottery server (see README "Protocol"). Each public method
// is one mode's whole conversation; errors are exceptions (NetError, ProtocolError,
// LotteryError, ServerGone, ShutdownRequested on SIGTERM). Every wait for the server is
// bounded: each by server.timeout, the wait for the draw by server.drawTimeout. A lost
// connection, a server silent past server.timeout among them, is not an error while
// server.patience lasts: the client connects again and resumes where the server's answer
// to its Hello says, so no bet is sent into the file twice and none is skipped.
class LotteryClient {
 public:
  // Batches sent ahead of their Acks: the client reads and encodes the next ones while
  // the server stores the earlier, instead of idling for a round trip per batch. Each is
  // still acknowledged only once stored, and Acks come back in the order batches went out.
  static constexpr std::size_t kBatchesInFlight = 4;

  // `handshake` makes each new connection ready for frames (CLI_TLS).
  LotteryClient(const config::ClientConfig& config, Handshake handshake);

  // Mode bet: sends the one bet given in the environment, numbered where the agency's
  // stored bets end, and logs apuesta_enviada. A lost connection is retried like a batch:
  // the bet is sent again at the same position, and stored once.
  void send_single_bet();

  // Modes batch and lottery: streams the agency file in batches, each acknowledged only
  // once stored, from the first bet the server does not hold.
  void send_agency_file();

  // Mode lottery: declares the agency finished, then asks for its winners until the
  // draw has happened, and logs consulta_ganadores.
  void fetch_winners();

  // How many rows of the agency file were not valid bets (each logged when met).
  std::size_t rejected_rows() const { return rejected_rows_; }

  // Logs one lottery_summary line: batches and bets sent, their mean round trip, and the
  // wall-clock moments of the first connection and of the winners' answer, which the
  // benchmark (bench/) reads to time a whole round across processes.
  void log_summary() const;

  // Closes the connection and the agency file if open, logging each.
  void close();

 private:
  // Connects (with the handshake) and introduces the agency;
  // while the server answers that it is busy, waits and tries again. Sets server_holds_
  // from the server's answer, which renews the patience.
  void open_session();
  // Connects, with the handshake. Returns nullopt when the server closed the connection
  // during it: a busy TLS server refuses so.
  std::optional<protocol::Channel> connect();
  // The server's next message, within server.timeout; `expected` names it in errors.
  protocol::Message await_reply(const char* expected);
  // After WaitForDraw: ends the TLS session, waits for the server to close the bare
  // connection (the draw is held, or the server is gone), and closes it. Throws
  // LotteryError when server.drawTimeout runs out first.
  void wait_for_draw();
  [[noreturn]] void throw_draw_not_held() const;
  // Runs `attempt` again, on a new connection, each time the connection breaks under it
  // (or the server asks to start over), within server.patience (see with_reconnects).
  void resume_on_loss(const std::function<void()>& attempt);
  // Closes the connection if open, logging it through `log`.
  void close_session(void (*log)(const logging::Event&) = logging::debug);
  // Sends `batch` without waiting for its Ack, first awaiting the oldest one's when the
  // window of batches in flight is full.
  void send_batch(const protocol::Batch& batch);
  // Receives the Ack to the oldest batch in flight and counts that batch as sent.
  void await_oldest_batch();
  // Receives the Ack to `request`. Throws StartOver for a code worth retrying on a new
  // connection, LotteryError for any other code but kOk.
  void expect_ack(const char* request);

  const config::ClientConfig& config_;
  Handshake handshake_;
  std::optional<protocol::Channel> channel_;
  std::optional<AgencyFile> file_;
  // The pace and the patience of every attempt to reach the server: connecting, while it
  // is busy, after a lost connection.
  net::Backoff reconnects_;
  // Asking again while the draw is not held, within server.drawTimeout.
  net::Backoff draw_wait_;
  struct InFlightBatch {
    std::size_t bets;
    std::chrono::steady_clock::time_point sent_at;
  };
  std::deque<InFlightBatch> in_flight_;  // sent, not yet acknowledged; oldest first
  std::uint32_t server_holds_ = 0;       // the agency's bets the server said it holds, at Hello
  std::size_t rejected_rows_ = 0;
  std::size_t last_rejected_line_ = 0;  // the last bad row logged: the file is read again on reconnects
  std::size_t batches_sent_ = 0;
  std::size_t bets_sent_ = 0;
  std::chrono::nanoseconds batch_round_trips_{0};
  std::optional<std::chrono::system_clock::time_point> first_connected_at_;
  std::optional<std::chrono::system_clock::time_point> winners_at_;
};

// The server refused a request: what was asked and the code it answered.
class LotteryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tp0::client
