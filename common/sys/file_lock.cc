#include "common/sys/file_lock.h"

#include <sys/file.h>

#include "common/sys/system_error.h"

namespace tp0::sys {

FileLock::FileLock(int fd, Mode mode, const std::string& path) : fd_(fd) {
  const int operation = mode == Mode::kExclusive ? LOCK_EX : LOCK_SH;
  if (retry_on_eintr([&] { return ::flock(fd_, operation); }) == -1) {
    throw last_error("lock " + path);
  }
}

FileLock::~FileLock() { ::flock(fd_, LOCK_UN); }

}  // namespace tp0::sys
