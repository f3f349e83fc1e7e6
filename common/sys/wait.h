#pragma once

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>

namespace tp0::sys {

// A moment on the steady clock; nullopt is no deadline at all.
using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// The most descriptors one wait_until() watches besides the signal self-pipe.
inline constexpr std::size_t kMaxWatched = 4;

// Waits until one of `watched` reports an event, a signal handled by sys::signals
// arrives, or `deadline` passes. Sets each entry's revents as poll(2) does (the events it
// asks for, or POLLHUP, POLLERR, POLLNVAL; 0 for a negative fd). EINTR is retried with
// the time left. When a signal woke the wait the self-pipe is emptied, so a caller
// learns which one from the signals' flags; a signal that came before the call may have
// been emptied already, so a caller checks those flags before waiting.
// Returns false when the deadline passed first (every revents 0), true otherwise.
// Throws std::system_error if poll(2) fails, std::invalid_argument for more than
// kMaxWatched descriptors.
bool wait_until(std::span<pollfd> watched, Deadline deadline);

}  // namespace tp0::sys
