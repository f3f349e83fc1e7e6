#include "bench/tree_rss.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace tp0::bench {
namespace {

constexpr std::chrono::milliseconds kSamplePeriod{10};

std::string proc_file(int pid, const char* name) {
  std::string path = "/proc/" + std::to_string(pid);
  return path.append("/").append(name);
}

// The second field of statm: the resident pages, VmRSS of /proc/<pid>/status. 0 when the
// process has just exited.
long rss_kib(int pid) {
  std::istringstream statm(testing::read_file(proc_file(pid, "statm")));
  long size = 0;
  long resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

struct Rollup {
  long pss_kib = 0;
  long private_kib = 0;
};

// The Pss and Private_* lines of smaps_rollup, which walks the process's page tables:
// read for a few processes per sample only. Zeros when the process has just exited.
Rollup rollup_of(int pid) {
  std::istringstream text(testing::read_file(proc_file(pid, "smaps_rollup")));
  Rollup rollup;
  for (std::string line; std::getline(text, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = line.substr(0, colon);
    if (name == "Pss") rollup.pss_kib = std::stol(line.substr(colon + 1));
    if (name == "Private_Clean" || name == "Private_Dirty")
      rollup.private_kib += std::stol(line.substr(colon + 1));
  }
  return rollup;
}

}  // namespace

TreeRssSampler::TreeRssSampler(pid_t root)
    : root_(root), thread_([this] {
        while (!stop_) {
          sample();
          std::this_thread::sleep_for(kSamplePeriod);
        }
      }) {}

TreeRssSampler::~TreeRssSampler() { finish(); }

TreeMemory TreeRssSampler::finish() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return seen_;
}

void TreeRssSampler::sample() {
  const bool tracking = tracking_;
  const pid_t room = room_;
  long total = rss_kib(root_);
  std::vector<int> connection_children;
  for (const int child : testing::children_of(root_)) {
    const long rss = rss_kib(child);
    total += rss;
    if (!tracking) continue;
    if (child == room) {
      seen_.room_rss_kib = std::max(seen_.room_rss_kib, rss);
    } else {
      seen_.child_rss_kib = std::max(seen_.child_rss_kib, rss);
      connection_children.push_back(child);
    }
  }
  seen_.total_kib = std::max(seen_.total_kib, total);
  if (!tracking) return;
  if (room != 0) seen_.room_pss_kib = std::max(seen_.room_pss_kib, rollup_of(room).pss_kib);
  if (!connection_children.empty()) {
    const Rollup child = rollup_of(connection_children[samples_ % connection_children.size()]);
    seen_.child_pss_kib = std::max(seen_.child_pss_kib, child.pss_kib);
    seen_.child_private_kib = std::max(seen_.child_private_kib, child.private_kib);
  }
  ++samples_;
}

}  // namespace tp0::bench
