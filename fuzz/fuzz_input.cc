#include "fuzz/fuzz_input.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tp0::fuzz {
namespace {

constexpr std::size_t kMaxPieces = 64;

void write_all(int fd, const std::uint8_t* data, std::size_t size, const char* into) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) property_failed(std::string("writing the input into ") + into + ": " + std::strerror(errno));
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

sys::UniqueFd descriptor_holding(const std::uint8_t* data, std::size_t size) {
  sys::UniqueFd fd(::memfd_create("fuzz-input", MFD_CLOEXEC));
  if (!fd) property_failed(std::string("memfd_create: ") + std::strerror(errno));
  write_all(fd.get(), data, size, "a memfd");
  if (::lseek(fd.get(), 0, SEEK_SET) != 0)
    property_failed(std::string("rewinding the memfd: ") + std::strerror(errno));
  return fd;
}

sys::UniqueFd descriptor_in_pieces(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxPiecewiseBytes)
    property_failed("input of " + std::to_string(size) + " bytes is too long to send in pieces");
  // A message socket keeps the pieces apart: each read(2) returns one whole piece.
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) == -1) {
    property_failed(std::string("socketpair: ") + std::strerror(errno));
  }
  sys::UniqueFd reader(ends[0]);
  sys::UniqueFd writer(ends[1]);
  std::size_t start = 0;
  for (std::size_t pieces = 1; start < size; ++pieces) {
    std::size_t end = start;
    while (end < size && (pieces == kMaxPieces || (data[end] != '\r' && data[end] != '"'))) ++end;
    end = std::min(end + 1, size);
    write_all(writer.get(), data + start, end - start, "a socket");
    start = end;
  }
  return reader;
}

void property_failed(const std::string& what) {
  std::fprintf(stderr, "property failed: %s\n", what.c_str());
  std::abort();
}

}  // namespace tp0::fuzz
