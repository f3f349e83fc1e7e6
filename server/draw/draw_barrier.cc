#include "server/draw/draw_barrier.h"

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "common/sys/signals.h"
#include "common/sys/system_error.h"

namespace tp0::draw {
namespace {

// How often a process waiting for the draw looks at its shutdown flag and its caller's
// condition: a condition variable cannot be woken from a signal handler, so the wait is
// cut into slices.
constexpr long kShutdownCheckNanoseconds = 50'000'000;

void check(int error, const char* what) {
  if (error != 0) throw sys::error_from_errno(error, std::string("draw barrier: ") + what);
}

// Locks a robust mutex for one scope. When the previous owner died holding it, the
// state is still consistent (every update below is a single store after its checks),
// so the lock is taken over instead of failing.
class RobustLock {
 public:
  explicit RobustLock(pthread_mutex_t& mutex) : mutex_(mutex) {
    recover(pthread_mutex_lock(&mutex_));
  }
  ~RobustLock() { pthread_mutex_unlock(&mutex_); }
  RobustLock(const RobustLock&) = delete;
  RobustLock& operator=(const RobustLock&) = delete;

  void recover(int status) {
    if (status == EOWNERDEAD) {
      check(pthread_mutex_consistent(&mutex_), "recover mutex of a dead process");
    } else {
      check(status, "lock mutex");
    }
  }

 private:
  pthread_mutex_t& mutex_;
};

}  // namespace

struct DrawBarrier::Header {
  pthread_mutex_t mutex;
  pthread_cond_t drawn_changed;
  std::uint32_t expected;
  std::uint32_t finished;
  std::uint32_t phase;
};

DrawBarrier::DrawBarrier(std::uint32_t agencies)
    : mapping_(sizeof(Header) + sizeof(std::uint32_t) * agencies) {
  Header& state = header();

  pthread_mutexattr_t mutex_attributes;
  check(pthread_mutexattr_init(&mutex_attributes), "init mutex attributes");
  check(pthread_mutexattr_setpshared(&mutex_attributes, PTHREAD_PROCESS_SHARED), "share mutex");
  check(pthread_mutexattr_setrobust(&mutex_attributes, PTHREAD_MUTEX_ROBUST), "make mutex robust");
  check(pthread_mutex_init(&state.mutex, &mutex_attributes), "init mutex");
  pthread_mutexattr_destroy(&mutex_attributes);

  pthread_condattr_t cond_attributes;
  check(pthread_condattr_init(&cond_attributes), "init condition attributes");
  check(pthread_condattr_setpshared(&cond_attributes, PTHREAD_PROCESS_SHARED), "share condition");
  check(pthread_condattr_setclock(&cond_attributes, CLOCK_MONOTONIC), "set condition clock");
  check(pthread_cond_init(&state.drawn_changed, &cond_attributes), "init condition");
  pthread_condattr_destroy(&cond_attributes);

  state.expected = agencies;
  state.phase = agencies == 0 ? 1 : 0;
}

DrawBarrier::Header& DrawBarrier::header() const {
  return *static_cast<Header*>(mapping_.data());
}

std::uint32_t* DrawBarrier::finished_ids() const {
  return reinterpret_cast<std::uint32_t*>(static_cast<char*>(mapping_.data()) + sizeof(Header));
}

bool DrawBarrier::finish(std::uint32_t agency) {
  Header& state = header();
  RobustLock lock(state.mutex);
  std::uint32_t* ids = finished_ids();
  if (state.phase != 0 || std::find(ids, ids + state.finished, agency) != ids + state.finished) {
    return false;
  }
  ids[state.finished] = agency;
  ++state.finished;
  if (state.finished < state.expected) return false;
  state.phase = 1;
  check(pthread_cond_broadcast(&state.drawn_changed), "wake waiters");
  return true;
}

bool DrawBarrier::drawn() {
  Header& state = header();
  RobustLock lock(state.mutex);
  return state.phase != 0;
}

std::uint32_t DrawBarrier::finished_count() {
  Header& state = header();
  RobustLock lock(state.mutex);
  return state.finished;
}

bool DrawBarrier::wait_for_draw(const std::function<bool()>& stop_waiting) {
  Header& state = header();
  while (true) {
    {
      RobustLock lock(state.mutex);
      if (state.phase != 0) return true;
      timespec until{};
      clock_gettime(CLOCK_MONOTONIC, &until);
      until.tv_nsec += kShutdownCheckNanoseconds;
      if (until.tv_nsec >= 1'000'000'000) {
        until.tv_sec += 1;
        until.tv_nsec -= 1'000'000'000;
      }
      const int status = pthread_cond_timedwait(&state.drawn_changed, &state.mutex, &until);
      if (status != ETIMEDOUT) lock.recover(status);
      if (state.phase != 0) return true;
    }
    if (sys::signals::shutdown_requested() || stop_waiting()) return false;
  }
}

}  // namespace tp0::draw
