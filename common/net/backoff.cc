#include "common/net/backoff.h"

#include <algorithm>

#include "common/net/errors.h"
#include "common/sys/signals.h"

namespace tp0::net {

bool Backoff::another_attempt() {
  const auto now = std::chrono::steady_clock::now();
  // The default patience, none, must not overflow the clock.
  if (!give_up_) give_up_ = now + std::min(patience_, std::chrono::steady_clock::time_point::max() - now);
  return now + pause_ <= *give_up_;
}

std::chrono::milliseconds Backoff::next_pause() {
  const std::chrono::milliseconds pause = pause_;
  pause_ = std::min(pause_ * 2, longest_);
  return pause;
}

void Backoff::wait() {
  if (!sys::sleep_unless_shutdown(next_pause())) throw ShutdownRequested();
}

void Backoff::succeeded() {
  give_up_.reset();
  pause_ = first_;
}

}  // namespace tp0::net
