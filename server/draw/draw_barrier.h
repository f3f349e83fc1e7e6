#pragma once

#include <cstdint>

#include "common/sys/shared_mapping.h"

namespace tp0::draw {

// Which agencies of the round have finished, and whether the draw is held: the draw
// happens at the moment the last of `agencies` agencies finishes. It lives in shared
// memory created before the server forks, so every connection's process sees one state.
// Agencies are named by their position in the round (Membership::position_of).
//
// Layout: a robust, process-shared mutex; the number of agencies, of those finished, the
// draw flag and a count of repairs; then one flag per agency. Every field is read and
// written under the mutex.
//
// A process may die at any instruction, holding the mutex or not. The count and the draw
// flag are derived from the per-agency flags (count = flags set, drawn = count is all of
// them), so the next process to take the mutex after a death in the middle of an update
// (EOWNERDEAD) recomputes them and every later reader sees a state some whole sequence
// of finish() calls could have left.
//
// Lock order: this mutex is innermost. It is never held across socket I/O or the bets
// file's lock; every method here takes and releases it internally. finish() is called
// with the bets file's exclusive lock held (see LotterySession), which is what makes
// "finished" and "stored" one order for every process.
class DrawBarrier {
 public:
  // Maps and initialises the shared state; called before fork. With no agencies to wait
  // for, the draw is held at once.
  explicit DrawBarrier(std::uint32_t agencies);

  enum class Finish {
    kCounted,          // the agency is now finished; others are still betting
    kAlreadyFinished,  // it had finished before (or the draw is held): nothing changed
    kHeldTheDraw,      // it was the last one: this call held the draw
  };

  // Records that the agency at `position` finished. kHeldTheDraw is returned by exactly
  // one call across all processes. REQUIRES: position < agencies.
  Finish finish(std::uint32_t position);

  // True once the agency at `position` has finished: its bets no longer count.
  bool finished(std::uint32_t position);

  // True once the draw is held.
  bool drawn();

  // How many distinct agencies have finished so far.
  std::uint32_t finished_count();

  // How many times a process found the mutex abandoned by a dead one and recomputed the
  // state (for tests and diagnostics).
  std::uint32_t repairs();

  // Unmaps the shared state now. Throws std::system_error on failure.
  void release() { mapping_.release(); }

 private:
  struct Header;
  class Lock;
  Header& header() const;
  std::uint8_t* finished_flags() const;

  sys::SharedMapping mapping_;
};

}  // namespace tp0::draw
