#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "common/net/backoff.h"

namespace tp0::server {

// The children a process-per-connection server has forked. Only the parent uses it:
// it forks, reaps and signals, and never touches what the children work on.
class ChildProcesses {
 public:
  // How a supervised child that keeps dying is started again (spawn_supervised()).
  static constexpr std::chrono::milliseconds kStableLife{1000};
  static constexpr std::chrono::milliseconds kFirstRestartPause{100};
  static constexpr std::chrono::milliseconds kLongestRestartPause{5000};

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

  // Forks `body` as spawn() does, and forks it again each time reap() finds it exited
  // while no shutdown was asked (SIGTERM, SIGINT, terminate_all()): a process the server
  // cannot do without. One that lived less than kStableLife after its pause is given a
  // pause by its next `body` call (kFirstRestartPause, doubling up to
  // kLongestRestartPause; 0 otherwise), so that one dying in a loop costs a fork now and
  // then: `body` waits it out with sys::sleep_unless_shutdown() once it has let go of
  // what it must not hold meanwhile. A restart whose fork fails is logged and tried again
  // at the next reap(). Each start is logged as `start_line`, with the child's pid and
  // whether it replaced one that exited. Throws std::system_error if the first fork fails.
  void spawn_supervised(std::function<int(std::chrono::milliseconds pause)> body, const char* start_line);

  // Collects every child that has exited, without blocking, and starts the supervised
  // one again if it was among them. Returns the pids of those that exited.
  std::vector<pid_t> reap();

  std::size_t running() const { return pids_.size(); }

  // Kills child `pid` (SIGKILL) and waits for it: it is no longer running on return, so
  // that forking another in its place never runs more children than before.
  void kill_now(pid_t pid);

  // Sends SIGTERM to every child and waits up to `grace` for them to exit; kills those
  // still running after that with SIGKILL. Returns how many children were running.
  std::size_t terminate_all(std::chrono::milliseconds grace);

 private:
  struct Supervised {
    std::function<int(std::chrono::milliseconds pause)> body;
    const char* start_line;      // the action of the line that logs each start
    std::optional<pid_t> pid{};  // none once it exited, until it runs again
    std::chrono::steady_clock::time_point started{};
    std::chrono::milliseconds pause{0};  // before its current body
    net::Backoff restart_pauses{kFirstRestartPause, kLongestRestartPause};
  };

  // Forks the supervised child's body, given its pause (none at first, see
  // spawn_supervised() for a restart's). Throws std::system_error if fork fails.
  void start_supervised(bool restarted);

  std::set<pid_t> pids_;
  std::optional<Supervised> supervised_;
  bool stopping_ = false;  // set by terminate_all(): nothing is started again
};

}  // namespace tp0::server
