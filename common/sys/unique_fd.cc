#include "common/sys/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "common/sys/system_error.h"

namespace tp0::sys {

UniqueFd::~UniqueFd() { reset(); }

UniqueFd::UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int UniqueFd::release() noexcept { return std::exchange(fd_, -1); }

void UniqueFd::close() {
  if (fd_ < 0) return;
  // On Linux the descriptor is gone even when close() fails, so it is never retried.
  if (::close(release()) == -1 && errno != EINTR) throw last_error("close descriptor");
}

void UniqueFd::reset() noexcept {
  if (fd_ >= 0) ::close(release());
}

Pipe make_pipe(bool nonblocking) {
  int fds[2];
  const int flags = O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0);
  if (::pipe2(fds, flags) == -1) throw last_error("create pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace tp0::sys
