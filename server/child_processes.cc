#include "server/child_processes.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <system_error>

#include "common/logging/logging.h"
#include "common/sys/signals.h"
#include "common/sys/system_error.h"
#include "common/sys/wait.h"

namespace tp0::server {
namespace {

// A normal exit is logged at DEBUG, an abnormal one as a warning with its exit code or signal.
void log_exit(pid_t pid, int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    logging::debug(logging::Event("child_exit", logging::Result::kSuccess).with("pid", pid));
    return;
  }
  logging::Event event("child_exit", logging::Result::kFail);
  event.with("pid", pid);
  if (WIFEXITED(status)) event.with("exit_code", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) event.with("signal", WTERMSIG(status));
  logging::warning(event);
}

}  // namespace

ChildProcesses::~ChildProcesses() {
  if (!pids_.empty()) terminate_all(std::chrono::milliseconds(0));
}

pid_t ChildProcesses::spawn(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == -1) throw sys::last_error("fork a connection handler");
  if (pid == 0) {
    // A child outliving a killed parent would go on writing into a round that a restarted
    // server sets aside, so the kernel is asked to stop it (SIGTERM, the usual shutdown).
    // The parent may have died before the request took effect: then leave at once.
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || ::getppid() != parent) ::_exit(1);
    int code = 2;
    try {
      sys::signals::reopen_after_fork();
      code = body();
    } catch (const std::exception& error) {
      logging::error(logging::Event("child", logging::Result::kFail).with("error", error.what()));
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  pids_.insert(pid);
  logging::debug(
      logging::Event("fork_child", logging::Result::kSuccess).with("pid", pid).with("running", pids_.size()));
  return pid;
}

void ChildProcesses::spawn_supervised(std::function<int(std::chrono::milliseconds pause)> body,
                                      const char* start_line) {
  supervised_.emplace(Supervised{std::move(body), start_line});
  start_supervised(false);
}

void ChildProcesses::start_supervised(bool restarted) {
  Supervised& child = *supervised_;
  if (restarted) {
    const auto lived = std::chrono::steady_clock::now() - child.started;
    // Dead before it could have done much: the next one waits first, longer each time.
    if (lived < child.pause + kStableLife) {
      child.pause = child.restart_pauses.next_pause();
    } else {
      child.restart_pauses.succeeded();
      child.pause = std::chrono::milliseconds(0);
    }
  }
  const std::chrono::milliseconds pause = child.pause;
  child.pid = spawn([&body = child.body, pause] { return body(pause); });
  child.started = std::chrono::steady_clock::now();
  logging::info(logging::Event(child.start_line, logging::Result::kSuccess)
                    .with("pid", *child.pid)
                    .with("restarted", restarted ? "yes" : "no"));
}

std::vector<pid_t> ChildProcesses::reap() {
  std::vector<pid_t> reaped;
  while (!pids_.empty()) {
    int status = 0;
    const pid_t pid = sys::retry_on_eintr([&] { return ::waitpid(-1, &status, WNOHANG); });
    if (pid <= 0) break;
    if (pids_.erase(pid) == 0) continue;
    log_exit(pid, status);
    if (supervised_ && supervised_->pid == pid) supervised_->pid.reset();
    reaped.push_back(pid);
  }
  // Also when its restart's fork failed last time.
  const bool down = supervised_ && !supervised_->pid;
  if (!down || stopping_ || sys::signals::shutdown_requested()) return reaped;
  try {
    start_supervised(true);
  } catch (const std::system_error& error) {
    logging::error(logging::Event("restart_child", logging::Result::kFail).with("error", error.what()));
  }
  return reaped;
}

void ChildProcesses::kill_now(pid_t pid) {
  if (pids_.erase(pid) == 0) return;
  ::kill(pid, SIGKILL);
  sys::retry_on_eintr([pid] { return ::waitpid(pid, nullptr, 0); });
}

std::size_t ChildProcesses::terminate_all(std::chrono::milliseconds grace) {
  stopping_ = true;
  const std::size_t count = pids_.size();
  for (const pid_t pid : pids_) ::kill(pid, SIGTERM);

  const sys::Deadline deadline = std::chrono::steady_clock::now() + grace;
  reap();
  // SIGCHLD wakes the wait as soon as a child exits.
  while (!pids_.empty() && sys::wait_until({}, deadline)) reap();
  for (const pid_t pid : pids_) {
    ::kill(pid, SIGKILL);
    sys::retry_on_eintr([pid] { return ::waitpid(pid, nullptr, 0); });
  }
  pids_.clear();
  return count;
}

}  // namespace tp0::server
