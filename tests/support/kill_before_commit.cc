// Preloaded into a server under test (LD_PRELOAD), this library stops it at moments that a
// kill sent from outside cannot aim at. Once per round: the dying process first creates
// the file TP0_KILL_MARKER, which the test waits for, and does nothing if it is already
// there. Two kinds of moment:
//
// - Between a batch's rows and their commit: the rows are written to the bets file, and
//   the journal entry that commits them is not. That entry is written by one pwrite(2) of
//   a 32-byte entry of kind "stored" (1) for a stream other than 0, on a file whose name
//   ends in ".journal" (server/storage/journal.cc); this pwrite SIGKILLs the calling
//   process instead, the TP0_KILL_BEFORE_COMMIT-th time that process commits rows.
// - Before one step of setting files aside or making them durable: TP0_KILL_CALL names
//   the call (write, pwrite, fsync, fdatasync, link, unlink, rename or renameat2), TP0_KILL_PATH
//   the end of the path it acts on (its descriptor's, or its first path), and
//   TP0_KILL_NTH (1 when unset) which of the process's calls that match dies instead.
//   A child counts from the calls its parent had made when it forked.
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
int aimed_calls_seen = 0;

std::string path_of(int fd) {
  std::error_code error;
  const std::string path =
      std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), error).string();
  return error ? std::string() : path;
}

bool commits_rows(int fd, const void* data, std::size_t size) {
  if (size != kEntryBytes) return false;
  const auto* entry = static_cast<const unsigned char*>(data);
  if (entry[0] != kStored || (entry[4] | entry[5] | entry[6] | entry[7]) == 0) return false;
  return path_of(fd).ends_with(kJournalSuffix);
}

// SIGKILLs this process, unless a process of the round died already.
void die_once() {
  const char* marker = std::getenv("TP0_KILL_MARKER");
  if (marker == nullptr) return;
  // "x": created here or not at all, so only one process of the round dies.
  std::FILE* made = std::fopen(marker, "wx");
  if (made == nullptr) return;
  std::fclose(made);
  std::raise(SIGKILL);
}

void die_if_due(int fd, const void* data, std::size_t size) {
  const char* nth = std::getenv("TP0_KILL_BEFORE_COMMIT");
  if (nth == nullptr || !commits_rows(fd, data, size)) return;
  if (++commits_seen == std::strtol(nth, nullptr, 10)) die_once();
}

// The path is asked for only once the call matches: most calls are not aimed at.
template <typename Path>
void die_if_aimed(const char* call, const Path& path) {
  const char* aimed_call = std::getenv("TP0_KILL_CALL");
  const char* aimed_path = std::getenv("TP0_KILL_PATH");
  if (aimed_call == nullptr || aimed_path == nullptr || std::strcmp(aimed_call, call) != 0) return;
  if (!std::string(path()).ends_with(aimed_path)) return;
  const char* nth = std::getenv("TP0_KILL_NTH");
  if (++aimed_calls_seen == (nth == nullptr ? 1 : std::strtol(nth, nullptr, 10))) die_once();
}

template <typename Function>
Function real(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): glibc's names
extern "C" ssize_t pwrite(int __fd, const void* __buf, std::size_t __n, off_t __offset) {
  die_if_due(__fd, __buf, __n);
  die_if_aimed("pwrite", [&] { return path_of(__fd); });
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t, off_t)>("pwrite");
  return next(__fd, __buf, __n, __offset);
}

extern "C" ssize_t pwrite64(int __fd, const void* __buf, std::size_t __n, off64_t __offset) {
  die_if_due(__fd, __buf, __n);
  die_if_aimed("pwrite", [&] { return path_of(__fd); });
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t, off64_t)>("pwrite64");
  return next(__fd, __buf, __n, __offset);
}

extern "C" ssize_t write(int __fd, const void* __buf, std::size_t __n) {
  die_if_aimed("write", [&] { return path_of(__fd); });
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t)>("write");
  return next(__fd, __buf, __n);
}

extern "C" int fsync(int __fd) {
  die_if_aimed("fsync", [&] { return path_of(__fd); });
  static const auto next = real<int (*)(int)>("fsync");
  return next(__fd);
}

extern "C" int fdatasync(int __fildes) {
  die_if_aimed("fdatasync", [&] { return path_of(__fildes); });
  static const auto next = real<int (*)(int)>("fdatasync");
  return next(__fildes);
}

extern "C" int link(const char* __from, const char* __to) noexcept {
  die_if_aimed("link", [&] { return __from; });
  static const auto next = real<int (*)(const char*, const char*)>("link");
  return next(__from, __to);
}

extern "C" int unlink(const char* __name) noexcept {
  die_if_aimed("unlink", [&] { return __name; });
  static const auto next = real<int (*)(const char*)>("unlink");
  return next(__name);
}

extern "C" int rename(const char* __old, const char* __new) noexcept {
  die_if_aimed("rename", [&] { return __old; });
  static const auto next = real<int (*)(const char*, const char*)>("rename");
  return next(__old, __new);
}

extern "C" int renameat2(int __oldfd, const char* __old, int __newfd, const char* __new,
                         unsigned int __flags) noexcept {
  die_if_aimed("renameat2", [&] { return __old; });
  static const auto next = real<int (*)(int, const char*, int, const char*, unsigned int)>("renameat2");
  return next(__oldfd, __old, __newfd, __new, __flags);
}
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
