// Preloaded into a server under test (LD_PRELOAD), this library stops it at the one moment
// of a store that a kill sent from outside cannot aim at: the batch's rows are written to
// the bets file, and the journal entry that commits them is not. That entry is written by
// one pwrite(2) of a 32-byte entry of kind "stored" (1) for a stream other than 0, on a
// file whose name ends in ".journal" (server/storage/journal.cc); this pwrite SIGKILLs the
// calling process instead, the TP0_KILL_BEFORE_COMMIT-th time that process commits rows.
// Once per round: the process first creates the file TP0_KILL_MARKER, which the test
// waits for, and does nothing if it is already there.
//
// The interposed functions take the parameter names of glibc's declarations, which other
// headers bring in: reserved identifiers, but the ones those declarations use.
#include <dlfcn.h>
#include <sys/types.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

constexpr std::size_t kEntryBytes = 32;
constexpr unsigned char kStored = 1;
constexpr char kJournalSuffix[] = ".journal";

int commits_seen = 0;

bool commits_rows(int fd, const void* data, std::size_t size) {
  if (size != kEntryBytes) return false;
  const auto* entry = static_cast<const unsigned char*>(data);
  if (entry[0] != kStored || (entry[4] | entry[5] | entry[6] | entry[7]) == 0) return false;
  std::error_code error;
  const std::string path = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), error).string();
  return !error && path.ends_with(kJournalSuffix);
}

void die_if_due(int fd, const void* data, std::size_t size) {
  const char* nth = std::getenv("TP0_KILL_BEFORE_COMMIT");
  const char* marker = std::getenv("TP0_KILL_MARKER");
  if (nth == nullptr || marker == nullptr || !commits_rows(fd, data, size)) return;
  if (++commits_seen != std::strtol(nth, nullptr, 10)) return;
  // "x": created here or not at all, so only one process of the round dies.
  std::FILE* made = std::fopen(marker, "wx");
  if (made == nullptr) return;
  std::fclose(made);
  std::raise(SIGKILL);
}

template <typename Function>
Function real(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): glibc's names
extern "C" ssize_t pwrite(int __fd, const void* __buf, std::size_t __n, off_t __offset) {
  die_if_due(__fd, __buf, __n);
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t, off_t)>("pwrite");
  return next(__fd, __buf, __n, __offset);
}

// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): glibc's names
extern "C" ssize_t pwrite64(int __fd, const void* __buf, std::size_t __n, off64_t __offset) {
  die_if_due(__fd, __buf, __n);
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t, off64_t)>("pwrite64");
  return next(__fd, __buf, __n, __offset);
}
