#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <thread>

namespace tp0::bench {

// What TreeRssSampler saw, in KiB.
struct TreeMemory {
  long total_kib = 0;  // the largest sum of VmRSS over the server and its children at once
  // The connection children: the largest VmRSS of one, and from one child looked at per
  // sample (smaps_rollup) the largest proportional set (each shared page divided among the
  // processes sharing it) and the largest private set (its pages no other process maps:
  // what each more such process would add).
  long child_rss_kib = 0;
  long child_pss_kib = 0;
  long child_private_kib = 0;
  // The waiting room (process lottery mode), once named.
  long room_rss_kib = 0;
  long room_pss_kib = 0;
};

// The resident set of a process-per-connection server in all: every 10 ms, on a thread
// of its own, the VmRSS of a process and of each of its children, summed; the largest
// sum is kept. ru_maxrss says only how large the largest single process grew. Pages
// that the processes share (the program's text, the draw's shared memory) count once
// per process, as VmRSS counts them; the proportional sets of one connection child per
// sample and of the waiting room say what each really adds.
class TreeRssSampler {
 public:
  // Starts sampling `root` at once.
  explicit TreeRssSampler(pid_t root);
  ~TreeRssSampler();
  TreeRssSampler(const TreeRssSampler&) = delete;
  TreeRssSampler& operator=(const TreeRssSampler&) = delete;

  // From now on, the children other than `waiting_room` (0: none) serve connections: call
  // it once the server listens, so that no child of its start is taken for one.
  void track_children(pid_t waiting_room) {
    room_ = waiting_room;
    tracking_ = true;
  }

  // Stops sampling and returns what it saw.
  TreeMemory finish();

 private:
  void sample();

  pid_t root_;
  std::atomic<pid_t> room_{0};
  std::atomic<bool> tracking_{false};
  std::atomic<bool> stop_{false};
  std::size_t samples_ = 0;
  TreeMemory seen_;  // written by the sampling thread only, read after it is joined
  std::thread thread_;
};

}  // namespace tp0::bench
