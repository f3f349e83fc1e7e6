#include "common/sys/wait.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <stdexcept>
#include <string>

#include "common/sys/signals.h"
#include "common/sys/system_error.h"

namespace tp0::sys {

bool wait_until(std::span<pollfd> watched, Deadline deadline) {
  if (watched.size() > kMaxWatched) {
    throw std::invalid_argument("wait for " + std::to_string(watched.size()) + " descriptors: at most " +
                                std::to_string(kMaxWatched));
  }
  for (pollfd& entry : watched) entry.revents = 0;
  std::array<pollfd, kMaxWatched + 1> polled{};
  std::copy(watched.begin(), watched.end(), polled.begin());
  pollfd& wake = polled[watched.size()];
  wake = {signals::wake_fd(), POLLIN, 0};
  while (true) {
    int wait_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), INT_MAX));
    }
    const int ready = ::poll(polled.data(), watched.size() + 1, wait_ms);
    if (ready == -1 && errno != EINTR) throw last_error("poll");
    if (ready <= 0) continue;  // interrupted, or the deadline is checked again
    for (std::size_t i = 0; i < watched.size(); ++i) watched[i].revents = polled[i].revents;
    if (wake.revents != 0) signals::drain_wake_fd();
    return true;
  }
}

}  // namespace tp0::sys
