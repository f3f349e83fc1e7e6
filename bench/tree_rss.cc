#include "bench/tree_rss.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/sys/unique_fd.h"

namespace tp0::bench {
namespace {

constexpr std::chrono::milliseconds kSamplePeriod{10};

// The start of a /proc file; "" when it cannot be read (the process has just exited).
std::string read_proc(const std::string& path) {
  const sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  char buffer[4096];
  const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
  return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : "";
}

std::vector<long> numbers_in(const std::string& text) {
  std::vector<long> numbers;
  const char* at = text.data();
  const char* const end = text.data() + text.size();
  while (at < end) {
    long value = 0;
    const auto [next, error] = std::from_chars(at, end, value);
    if (error == std::errc()) numbers.push_back(value);
    at = next + 1;  // past the separator, or past a character that was not a number
  }
  return numbers;
}

// The second field of statm: the resident pages, VmRSS of /proc/<pid>/status.
long rss_kib(long pid) {
  const std::vector<long> fields = numbers_in(read_proc("/proc/" + std::to_string(pid) + "/statm"));
  return fields.size() < 2 ? 0 : fields[1] * (::sysconf(_SC_PAGESIZE) / 1024);
}

// The children of every thread of `pid` (a server is single-threaded, but nothing here
// needs to know that).
std::vector<long> children_of(pid_t pid) {
  std::vector<long> children;
  std::error_code error;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    const std::vector<long> found = numbers_in(read_proc(task.path().string() + "/children"));
    children.insert(children.end(), found.begin(), found.end());
  }
  return children;
}

}  // namespace

TreeRssSampler::TreeRssSampler(pid_t root) : root_(root), thread_([this] {
  while (!stop_) {
    sample();
    std::this_thread::sleep_for(kSamplePeriod);
  }
}) {}

TreeRssSampler::~TreeRssSampler() { finish(); }

long TreeRssSampler::finish() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return peak_kib_;
}

void TreeRssSampler::sample() {
  long total = rss_kib(root_);
  for (const long child : children_of(root_)) total += rss_kib(child);
  peak_kib_ = std::max(peak_kib_, total);
}

}  // namespace tp0::bench
