#pragma once

#include <sys/types.h>

#include <atomic>
#include <thread>

namespace tp0::bench {

// The resident set of a process-per-connection server in all: every 10 ms, on a thread
// of its own, the VmRSS of a process and of each of its children, summed; the largest
// sum is kept. ru_maxrss says only how large the largest single process grew. Pages
// that the processes share (the program's text, the draw's shared memory) count once
// per process, as VmRSS counts them.
class TreeRssSampler {
 public:
  // Starts sampling `root` at once.
  explicit TreeRssSampler(pid_t root);
  ~TreeRssSampler();
  TreeRssSampler(const TreeRssSampler&) = delete;
  TreeRssSampler& operator=(const TreeRssSampler&) = delete;

  // Stops sampling and returns the largest sum seen, in KiB.
  long finish();

 private:
  void sample();

  pid_t root_;
  std::atomic<bool> stop_{false};
  long peak_kib_ = 0;  // written by the sampling thread only, read after it is joined
  std::thread thread_;
};

}  // namespace tp0::bench
