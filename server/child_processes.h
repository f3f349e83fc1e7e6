#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <set>

namespace tp0::server {

// The children a process-per-connection server has forked. Only the parent uses it:
// it forks, reaps and signals, and never touches what the children work on.
class ChildProcesses {
 public:
  ChildProcesses() = default;
  // Terminates and reaps any child still running.
  ~ChildProcesses();

  ChildProcesses(const ChildProcesses&) = delete;
  ChildProcesses& operator=(const ChildProcesses&) = delete;

  // Forks. The child runs `body` and leaves with _exit(its result) (never exit(), which
  // would flush the parent's stdio buffers and run its atexit handlers a second time);
  // an exception escaping `body` makes it leave with 2. The child gets SIGTERM if the
  // parent dies. Returns the child's pid to the parent. Throws std::system_error if fork
  // fails.
  pid_t spawn(const std::function<int()>& body);

  // Collects every child that has exited, without blocking. Returns how many.
  std::size_t reap();

  std::size_t running() const { return pids_.size(); }

  // Sends SIGTERM to every child and waits up to `grace` for them to exit; kills those
  // still running after that with SIGKILL. Returns how many children were running.
  std::size_t terminate_all(std::chrono::milliseconds grace);

 private:
  std::set<pid_t> pids_;
};

}  // namespace tp0::server
