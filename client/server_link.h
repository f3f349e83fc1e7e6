#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/net/connection.h"
#include "common/sys/wait.h"
#include "config/client_config.h"

namespace tp0::client {

// The pauses between failed attempts at something that may fail for a while, and when to
// stop trying: pauses from `first`, doubling up to `longest`, for at most `patience`
// counted from the first failure since the last success. Every retry loop of the client
// paces itself with one.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds longest, std::chrono::nanoseconds patience)
      : first_(first), pause_(first), longest_(longest), patience_(patience) {}

  // Counts a failed attempt, the first since the last success starting the patience, and
  // says whether another is worth making: false once the next pause would end past the
  // patience.
  [[nodiscard]] bool another_attempt();

  // Waits the next pause, the one after it twice as long. Throws ShutdownRequested on
  // SIGTERM or SIGINT.
  void wait();

  // An attempt worked: the next failure starts a new patience, and the pauses start
  // again from `first`.
  void succeeded();

  // When the running patience ends; nullopt when none runs (no failure since the last
  // success).
  sys::Deadline gives_up_at() const { return give_up_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds pause_;
  std::chrono::milliseconds longest_;
  std::chrono::nanoseconds patience_;
  sys::Deadline give_up_;
};

// Pauses for reconnecting: from 50 ms to 1 s.
inline constexpr std::chrono::milliseconds kFirstReconnectPause{50};
inline constexpr std::chrono::milliseconds kLongestReconnectPause{1000};

// server.timeout as the milliseconds a connection's waits take.
std::chrono::milliseconds reply_timeout(const config::ClientConfig& config);

// Connects to server.address, each attempt within server.timeout, and gives the connection
// that idle timeout: a server that lets any wait pass it is a lost connection. While the
// server is not accepting yet — it may still be starting — logs `action: connect | result:
// in_progress` and tries again after `backoff`'s pause. Throws NetError once `backoff`
// gives up, and ShutdownRequested on SIGTERM/SIGINT.
net::Connection connect_with_retry(const config::ClientConfig& config, Backoff& backoff);

// The server asked the client to start over on a new connection (a batch out of place:
// another connection of the agency moved its stream), or could not store: worth retrying.
class StartOver : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The client stopped trying to reach the server: server.patience ran out.
class ServerGone : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs `attempt` again, on a new connection, each time it throws NetError (the connection
// broke, or the server let server.timeout pass) or StartOver, after `forget` has dropped
// what the broken connection left, logging `action: connect | result: in_progress` and
// pausing as `backoff` says. Throws ServerGone, naming server.patience and server.timeout,
// once `backoff` gives up.
void with_reconnects(const config::ClientConfig& config, Backoff& backoff, const std::function<void()>& attempt,
                     const std::function<void()>& forget);

}  // namespace tp0::client
