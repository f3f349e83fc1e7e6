#pragma once

#include <string>

namespace tp0::sys {

// Holds a flock(2) lock on an open file for as long as it lives.
// flock belongs to the open file description: each process must open the file itself
// for the lock to exclude the others (a descriptor inherited across fork shares one lock).
class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Blocks until the lock is granted. Throws std::system_error naming `path` on failure.
  FileLock(int fd, Mode mode, const std::string& path);
  ~FileLock();

  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace tp0::sys
