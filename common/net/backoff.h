#pragma once

#include <chrono>

#include "common/sys/wait.h"

namespace tp0::net {

// The pauses between failed attempts at something that may fail for a while, and when to
// stop trying: pauses from `first`, doubling up to `longest`, for at most `patience`
// counted from the first failure since the last success. A pause that doubles while the
// failures go on neither spins on what cannot work yet nor waits long once it works again
// (the postmaster's way): every retry of both programs paces itself with one.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds longest,
          std::chrono::nanoseconds patience = std::chrono::nanoseconds::max())
      : first_(first), pause_(first), longest_(longest), patience_(patience) {}

  // Counts a failed attempt, the first since the last success starting the patience, and
  // says whether another is worth making: false once the next pause would end past the
  // patience.
  [[nodiscard]] bool another_attempt();

  // The pause to take now, the one after it twice as long.
  std::chrono::milliseconds next_pause();

  // Waits next_pause(). Throws ShutdownRequested on SIGTERM or SIGINT.
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

}  // namespace tp0::net
