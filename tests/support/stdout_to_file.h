#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "common/sys/unique_fd.h"

namespace tp0::testing {

// Sends this process's stdout, where the log goes, to the file at `path` until destroyed.
class StdoutToFile {
 public:
  explicit StdoutToFile(const std::string& path) : saved_(::dup(STDOUT_FILENO)) {
    const sys::UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!saved_ || !file) throw std::runtime_error("cannot send stdout to " + path);
    std::fflush(stdout);
    ::dup2(file.get(), STDOUT_FILENO);
  }
  ~StdoutToFile() {
    std::fflush(stdout);
    ::dup2(saved_.get(), STDOUT_FILENO);
  }
  StdoutToFile(const StdoutToFile&) = delete;
  StdoutToFile& operator=(const StdoutToFile&) = delete;

 private:
  sys::UniqueFd saved_;
};

}  // namespace tp0::testing
