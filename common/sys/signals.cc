#include "common/sys/signals.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <string>
#include <vector>

#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "common/sys/wait.h"

namespace tp0::sys {
namespace {

volatile sig_atomic_t g_shutdown_signal = 0;
volatile sig_atomic_t g_child_exited = 0;
volatile sig_atomic_t g_wake_write_fd = -1;

// Owned for the whole life of the process; the handler reads only the raw write end.
Pipe& self_pipe() {
  static Pipe pipe;
  return pipe;
}

// Makes the self-pipe readable. Async-signal-safe.
void wake_waits() {
  const int fd = g_wake_write_fd;
  const char byte = 1;
  // A full pipe already guarantees a wake-up, so a failed write needs no handling.
  if (fd >= 0) [[maybe_unused]]
    const ssize_t written = ::write(fd, &byte, 1);
}

void on_signal(int signal_number) {
  const int saved_errno = errno;
  if (signal_number == SIGCHLD) {
    g_child_exited = 1;
  } else if (g_shutdown_signal == 0) {
    g_shutdown_signal = signal_number;
  }
  wake_waits();
  errno = saved_errno;
}

void open_self_pipe() {
  Pipe fresh = make_pipe(/*nonblocking=*/true);
  g_wake_write_fd = fresh.write_end.get();
  self_pipe() = std::move(fresh);
  if (g_shutdown_signal != 0) wake_waits();
}

void set_action(int signal_number, void (*handler)(int), const std::string& doing) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | (signal_number == SIGCHLD ? SA_NOCLDSTOP : 0);
  if (::sigaction(signal_number, &action, nullptr) == -1) throw last_error(doing);
}

}  // namespace

namespace signals {

void install() {
  open_self_pipe();
  for (const int signal_number : {SIGTERM, SIGINT, SIGCHLD}) {
    set_action(signal_number, on_signal, "install handler for signal " + std::to_string(signal_number));
  }
  set_action(SIGPIPE, SIG_IGN, "ignore SIGPIPE");
}

void reopen_after_fork() {
  g_child_exited = 0;
  open_self_pipe();
}

void close_inherited_descriptors(std::span<const int> keep) {
  std::vector<int> kept(keep.begin(), keep.end());
  kept.insert(kept.end(), {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, self_pipe().read_end.get(),
                           self_pipe().write_end.get()});
  std::sort(kept.begin(), kept.end());
  unsigned int first = 0;
  for (const int fd : kept) {
    if (fd < 0) continue;
    const auto number = static_cast<unsigned int>(fd);
    if (number > first) ::close_range(first, number - 1, 0);
    first = std::max(first, number + 1);
  }
  ::close_range(first, UINT_MAX, 0);
}

bool shutdown_requested() { return g_shutdown_signal != 0; }

int shutdown_signal() { return g_shutdown_signal; }

bool consume_child_exited() {
  const bool exited = g_child_exited != 0;
  g_child_exited = 0;
  return exited;
}

int wake_fd() { return self_pipe().read_end.get(); }

void drain_wake_fd() {
  char buffer[64];
  while (::read(wake_fd(), buffer, sizeof buffer) > 0) {
  }
}

}  // namespace signals

WaitResult wait_for(int fd, short events, std::optional<std::chrono::milliseconds> timeout) {
  const Deadline deadline = timeout ? Deadline(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
  pollfd watched{fd, events, 0};
  while (!signals::shutdown_requested()) {
    if (!wait_until({&watched, 1}, deadline)) return WaitResult::kTimeout;
    if (watched.revents != 0 && !signals::shutdown_requested()) return WaitResult::kReady;
  }
  return WaitResult::kShutdown;
}

bool sleep_unless_shutdown(std::chrono::milliseconds duration) {
  // A negative descriptor is never ready: only the end of the time or a shutdown ends the wait.
  return wait_for(-1, 0, duration) == WaitResult::kTimeout;
}

}  // namespace tp0::sys
