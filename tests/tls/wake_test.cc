// SIGTERM during a handshake: the wait wakes at once (the self-pipe), whichever side is
// waiting, however long its deadline. Each case runs in a child process, since the
// shutdown flag, once set, stays set for the process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <thread>

#include "common/net/errors.h"
#include "common/sys/signals.h"
#include "common/tls/session.h"
#include "tests/support/process.h"
#include "tests/tls/fixture.h"

namespace tp0::testing {
namespace {

enum ChildExit { kShutdownRequested = 0, kOtherError = 2, kHandshakeEnded = 3 };

class SignalDuringHandshake : public TlsFixture {
 protected:
  // Forks a child that installs the signal handlers and runs `handshake` with a silent
  // peer and no timeout; once it waits, sends it SIGTERM and returns how it exited.
  int exit_of_child_running(const std::function<void(net::Connection&)>& handshake) {
    LoopbackPair pair = make_loopback_pair();
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    const pid_t child = ::fork();
    if (child == 0) {
      sys::signals::install();
      ::close(ready[0]);
      net::Connection connection(std::move(pair.server), "127.0.0.1");
      if (::write(ready[1], "r", 1) != 1) ::_exit(kOtherError);
      try {
        handshake(connection);
      } catch (const net::ShutdownRequested&) {
        ::_exit(kShutdownRequested);
      } catch (...) {
        ::_exit(kOtherError);
      }
      ::_exit(kHandshakeEnded);
    }
    ::close(ready[1]);
    char byte = 0;
    const bool started = ::read(ready[0], &byte, 1) == 1;
    ::close(ready[0]);
    if (!started) throw std::runtime_error("the child did not start");
    // Asleep in the handshake's wait: the signal must wake it, not merely be seen before it.
    const auto patience = std::chrono::steady_clock::now() + kPatience;
    while (state_of(child) != 'S' && std::chrono::steady_clock::now() < patience) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::kill(child, SIGTERM);
    // Waits on the pid itself, bounded: a child that slept through the signal fails the test.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    pollfd exited{pidfd, POLLIN, 0};
    const bool ended = pidfd >= 0 && ::poll(&exited, 1, 10'000) == 1;
    if (pidfd >= 0) ::close(pidfd);
    if (!ended) ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!ended) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

TEST_F(SignalDuringHandshake, WakesTheServerWaitingForAClientHello) {
  EXPECT_EQ(
      exit_of_child_running([&](net::Connection& connection) { tls::accept(connection, server_context_); }),
      kShutdownRequested);
}

TEST_F(SignalDuringHandshake, WakesTheClientWaitingForTheServersAnswer) {
  EXPECT_EQ(exit_of_child_running(
                [&](net::Connection& connection) { tls::connect(connection, client_context_, "127.0.0.1"); }),
            kShutdownRequested);
}

}  // namespace
}  // namespace tp0::testing
