#include "fuzz/fuzz_input.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace tp0::fuzz {

sys::UniqueFd descriptor_holding(const std::uint8_t* data, std::size_t size) {
  sys::UniqueFd fd(::memfd_create("fuzz-input", MFD_CLOEXEC));
  if (!fd) property_failed("memfd_create failed");
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd.get(), data + written, size - written);
    if (n <= 0) property_failed("writing the input to the memfd failed");
    written += static_cast<std::size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) property_failed("rewinding the memfd failed");
  return fd;
}

void property_failed(const std::string& what) {
  std::fprintf(stderr, "property failed: %s\n", what.c_str());
  std::abort();
}

}  // namespace tp0::fuzz
