#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <span>
#include <thread>

namespace tp0::testing {

// A peer that sends `bytes` one at a time, a byte every `pace`, from a thread of its own,
// until all are sent or the other end closes (which ends the pause at once). The pace is
// what the tests are about: each byte well within an idle timeout, the whole past a
// deadline.
class Trickler {
 public:
  Trickler(int fd, std::span<const std::byte> bytes, std::chrono::milliseconds pace)
      : thread_([fd, bytes, pace, this] {
          for (const std::byte& byte : bytes) {
            if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) return;
            ++sent_;
            pollfd closed{fd, POLLIN, 0};
            if (::poll(&closed, 1, static_cast<int>(pace.count())) != 0) return;
          }
        }) {}
  ~Trickler() { thread_.join(); }
  Trickler(const Trickler&) = delete;
  Trickler& operator=(const Trickler&) = delete;

  // How many bytes were sent so far.
  std::size_t sent() const { return sent_; }

 private:
  std::atomic<std::size_t> sent_ = 0;
  std::thread thread_;
};

}  // namespace tp0::testing
