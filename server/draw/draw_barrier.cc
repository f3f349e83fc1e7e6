#include "server/draw/draw_barrier.h"

#include <pthread.h>

#include <algorithm>
#include <cerrno>

#include "common/sys/system_error.h"

namespace tp0::draw {
namespace {

void check(int error, const char* what) {
  if (error != 0) throw sys::error_from_errno(error, std::string("draw barrier: ") + what);
}

}  // namespace

struct DrawBarrier::Header {
  pthread_mutex_t mutex;
  std::uint32_t agencies;
  std::uint32_t finished;  // how many flags are set, kept so that no call counts them
  std::uint32_t drawn;     // 1 once finished == agencies
  std::uint32_t repairs;
};

// Holds the barrier's robust mutex for one scope. When the previous owner died holding
// it, the derived fields may lag behind the flags (a death between setting a flag and
// counting it): they are recomputed before the state is used or marked consistent.
class DrawBarrier::Lock {
 public:
  explicit Lock(const DrawBarrier& barrier) : state_(barrier.header()) {
    const int status = pthread_mutex_lock(&state_.mutex);
    if (status == EOWNERDEAD) {
      const std::uint8_t* flags = barrier.finished_flags();
      state_.finished = static_cast<std::uint32_t>(std::count(flags, flags + state_.agencies, 1));
      state_.drawn = state_.finished == state_.agencies ? 1 : 0;
      ++state_.repairs;
      check(pthread_mutex_consistent(&state_.mutex), "recover the mutex of a dead process");
    } else {
      check(status, "lock mutex");
    }
  }
  ~Lock() { pthread_mutex_unlock(&state_.mutex); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  Header& state_;
};

DrawBarrier::DrawBarrier(std::uint32_t agencies) : mapping_(sizeof(Header) + agencies) {
  Header& state = header();

  pthread_mutexattr_t mutex_attributes;
  check(pthread_mutexattr_init(&mutex_attributes), "init mutex attributes");
  check(pthread_mutexattr_setpshared(&mutex_attributes, PTHREAD_PROCESS_SHARED), "share mutex");
  check(pthread_mutexattr_setrobust(&mutex_attributes, PTHREAD_MUTEX_ROBUST), "make mutex robust");
  check(pthread_mutex_init(&state.mutex, &mutex_attributes), "init mutex");
  pthread_mutexattr_destroy(&mutex_attributes);

  state.agencies = agencies;
  state.drawn = agencies == 0 ? 1 : 0;
}

DrawBarrier::Header& DrawBarrier::header() const { return *static_cast<Header*>(mapping_.data()); }

std::uint8_t* DrawBarrier::finished_flags() const {
  return static_cast<std::uint8_t*>(mapping_.data()) + sizeof(Header);
}

DrawBarrier::Finish DrawBarrier::finish(std::uint32_t position) {
  Header& state = header();
  const Lock lock(*this);
  std::uint8_t& flag = finished_flags()[position];
  if (flag != 0 || state.drawn != 0) return Finish::kAlreadyFinished;
  // The order of these stores is what a death between them may cut: the flag first, as
  // the one fact the repair in Lock derives the rest from.
  flag = 1;
  ++state.finished;
  if (state.finished < state.agencies) return Finish::kCounted;
  state.drawn = 1;
  return Finish::kHeldTheDraw;
}

bool DrawBarrier::finished(std::uint32_t position) {
  const Lock lock(*this);
  return finished_flags()[position] != 0 || header().drawn != 0;
}

bool DrawBarrier::drawn() {
  const Lock lock(*this);
  return header().drawn != 0;
}

std::uint32_t DrawBarrier::finished_count() {
  const Lock lock(*this);
  return header().finished;
}

std::uint32_t DrawBarrier::repairs() {
  const Lock lock(*this);
  return header().repairs;
}

}  // namespace tp0::draw
