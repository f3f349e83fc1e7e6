#pragma once

#include <cstdint>
#include <functional>

#include "common/sys/shared_mapping.h"

namespace tp0::draw {

// The point where the lottery's draw happens: once `agencies` distinct agencies have
// declared they finished sending bets. It lives in shared memory created before the
// server forks, so every connection's child process sees the same state.
//
// Layout: a robust, process-shared mutex; a condition variable on the monotonic clock;
// the number of agencies expected and finished; the draw phase (0 before, 1 after); then
// the ids of the agencies that finished. Every field is read and written under the mutex.
//
// Lock order: this mutex is innermost. Never hold it across socket I/O or the bets-file
// lock; every method here takes and releases it internally.
class DrawBarrier {
 public:
  // Maps and initialises the shared state; called before fork. With no agencies to wait
  // for, the draw has already happened.
  explicit DrawBarrier(std::uint32_t agencies);

  ~DrawBarrier() = default;
  DrawBarrier(DrawBarrier&&) noexcept = default;
  DrawBarrier& operator=(DrawBarrier&&) noexcept = default;
  DrawBarrier(const DrawBarrier&) = delete;
  DrawBarrier& operator=(const DrawBarrier&) = delete;

  // Records that `agency` finished. A repeated agency is counted once. Returns true for
  // exactly one call across all processes: the one that completed the set and so held
  // the draw. It wakes every process blocked in wait_for_draw().
  bool finish(std::uint32_t agency);

  // True once the draw has happened.
  bool drawn();

  // Blocks until the draw has happened (true), or until SIGTERM/SIGINT arrived or
  // `stop_waiting` returned true (false). `stop_waiting` is called without the mutex held,
  // every few tens of milliseconds, so it may look at a socket.
  bool wait_for_draw(const std::function<bool()>& stop_waiting = [] { return false; });

  // How many distinct agencies have finished so far.
  std::uint32_t finished_count();

  // Unmaps the shared state now. Throws std::system_error on failure.
  void release() { mapping_.release(); }

 private:
  struct Header;
  Header& header() const;
  std::uint32_t* finished_ids() const;

  sys::SharedMapping mapping_;
};

}  // namespace tp0::draw
