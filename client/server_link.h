#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/net/connection.h"

namespace tp0::client {

// The pauses between attempts to reach the server: from `first`, doubling up to `longest`,
// for at most `patience` from the moment the Backoff is made (without one, for ever).
class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds longest) : pause_(first), longest_(longest) {}
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds longest, std::chrono::nanoseconds patience)
      : pause_(first), longest_(longest), give_up_(std::chrono::steady_clock::now() + patience) {}

  // True when the next pause would end past the patience: time to give up.
  bool exhausted() const { return give_up_ && std::chrono::steady_clock::now() + pause_ > *give_up_; }

  // Waits the next pause, the one after it twice as long. Throws ShutdownRequested on
  // SIGTERM or SIGINT.
  void wait();

 private:
  std::chrono::milliseconds pause_;
  std::chrono::milliseconds longest_;
  std::optional<std::chrono::steady_clock::time_point> give_up_;
};

// Pauses for reconnecting: from 50 ms to 1 s.
inline constexpr std::chrono::milliseconds kFirstReconnectPause{50};
inline constexpr std::chrono::milliseconds kLongestReconnectPause{1000};

// Connects to `address` (host:port). While the server is not accepting yet — it may still
// be starting — it logs `action: connect | result: in_progress` and tries again with a
// growing pause, for at most `patience`. Throws NetError when that runs out, and
// ShutdownRequested on SIGTERM/SIGINT.
net::Connection connect_with_retry(const std::string& address, std::chrono::milliseconds patience);

}  // namespace tp0::client
