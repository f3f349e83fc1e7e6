#include "bench/tree_rss.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>

#include "tests/support/process.h"

namespace tp0::bench {
namespace {

constexpr std::chrono::milliseconds kSamplePeriod{10};

// The second field of statm: the resident pages, VmRSS of /proc/<pid>/status. 0 when the
// process has just exited.
long rss_kib(int pid) {
  std::istringstream statm(testing::read_file("/proc/" + std::to_string(pid) + "/statm"));
  long size = 0;
  long resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
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
  for (const int child : testing::children_of(root_)) total += rss_kib(child);
  peak_kib_ = std::max(peak_kib_, total);
}

}  // namespace tp0::bench
