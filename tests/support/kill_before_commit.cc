// Preloaded into a server under test (LD_PRELOAD), this library stops it at the one moment
// of a store that a kill sent from outside cannot aim at: the batch's rows are written to
// the bets file, and the journal entry that commits them is not. That entry is written by
// one pwrite(2) of a 32-byte entry of kind "stored" (1) for a stream other than 0, on a
// file whose name ends in ".journal" (server/storage/journal.cc); this pwrite SIGKILLs the
// calling process instead, the TP0_KILL_BEFORE_COMMIT-th time that process commits rows.
// Once per round: the process first creates the file TP0_KILL_MARKER, which the test
// waits for, and does nothing if it is already there.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::size_t kEntryBytes = 32;
constexpr unsigned char kStored = 1;
constexpr char kJournalSuffix[] = ".journal";

int commits_seen = 0;

bool commits_rows(int fd, const void* data, std::size_t size) {
  if (size != kEntryBytes) return false;
  const auto* entry = static_cast<const unsigned char*>(data);
  if (entry[0] != kStored || (entry[4] | entry[5] | entry[6] | entry[7]) == 0) return false;
  char link[64];
  char path[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t length = ::readlink(link, path, sizeof path);
  const auto suffix = static_cast<ssize_t>(sizeof kJournalSuffix - 1);
  return length > suffix && std::memcmp(path + length - suffix, kJournalSuffix, sizeof kJournalSuffix - 1) == 0;
}

void die_if_due(int fd, const void* data, std::size_t size) {
  const char* nth = std::getenv("TP0_KILL_BEFORE_COMMIT");
  const char* marker = std::getenv("TP0_KILL_MARKER");
  if (nth == nullptr || marker == nullptr || !commits_rows(fd, data, size)) return;
  if (++commits_seen != std::atoi(nth)) return;
  const int made = ::open(marker, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (made == -1) return;  // a process of this round died here already
  ::close(made);
  std::raise(SIGKILL);
}

template <typename Function>
Function real(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) {
  die_if_due(fd, data, size);
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t, off_t)>("pwrite");
  return next(fd, data, size, offset);
}

extern "C" ssize_t pwrite64(int fd, const void* data, std::size_t size, off64_t offset) {
  die_if_due(fd, data, size);
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t, off64_t)>("pwrite64");
  return next(fd, data, size, offset);
}
