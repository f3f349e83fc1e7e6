#include "common/sys/wait.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "common/sys/signals.h"
#include "common/sys/unique_fd.h"

namespace tp0::sys {
namespace {

using std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(WaitUntil, ReportsTheDescriptorThatIsReady) {
  Pipe idle = make_pipe(/*nonblocking=*/true);
  Pipe busy = make_pipe(/*nonblocking=*/true);
  ASSERT_EQ(::write(busy.write_end.get(), "x", 1), 1);
  pollfd watched[2] = {{idle.read_end.get(), POLLIN, 0}, {busy.read_end.get(), POLLIN, 0}};
  ASSERT_TRUE(wait_until(watched, steady_clock::now() + 10s));
  EXPECT_EQ(watched[0].revents, 0);
  EXPECT_EQ(watched[1].revents, POLLIN);
}

TEST(WaitUntil, ReportsAHangUpThatWasNotAskedFor) {
  Pipe pipe = make_pipe(/*nonblocking=*/true);
  pipe.write_end.reset();
  pollfd watched{pipe.read_end.get(), 0, 0};
  ASSERT_TRUE(wait_until({&watched, 1}, std::nullopt));
  EXPECT_NE(watched.revents & POLLHUP, 0);
}

TEST(WaitUntil, ReturnsFalseOnceTheDeadlinePassesWithNothingReady) {
  Pipe pipe = make_pipe(/*nonblocking=*/true);
  pollfd watched{pipe.read_end.get(), POLLIN, POLLIN};
  const auto deadline = steady_clock::now() + 50ms;
  EXPECT_FALSE(wait_until({&watched, 1}, deadline));
  EXPECT_GE(steady_clock::now(), deadline);
  EXPECT_EQ(watched.revents, 0);
  EXPECT_FALSE(wait_until({}, steady_clock::now() - 1s));
}

std::atomic<int> g_interruptions{0};
void count_interruption(int) { ++g_interruptions; }

TEST(WaitUntil, AnInterruptionKeepsWaitingForTheTimeLeft) {
  struct sigaction action {};
  action.sa_handler = count_interruption;  // no SA_RESTART: poll(2) fails with EINTR
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &action, nullptr), 0);
  const pthread_t waiter = ::pthread_self();
  std::atomic<bool> done{false};
  std::thread interrupter([&] {
    // Paces the signals only; the assertions below do not depend on when they land.
    while (!done) {
      ::pthread_kill(waiter, SIGUSR1);
      std::this_thread::sleep_for(5ms);
    }
  });
  const auto deadline = steady_clock::now() + 300ms;
  const bool woken = wait_until({}, deadline);
  const auto returned = steady_clock::now();
  done = true;
  interrupter.join();
  EXPECT_FALSE(woken);
  EXPECT_GE(returned, deadline);
  EXPECT_GT(g_interruptions.load(), 0);
}

TEST(WaitUntil, ASignalWakesItThroughTheSelfPipe) {
  signals::install();
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) ::_exit(0);
  // SIGCHLD may come before the wait starts: its byte then waits in the self-pipe.
  const auto deadline = steady_clock::now() + 30s;
  EXPECT_TRUE(wait_until({}, deadline));
  EXPECT_LT(steady_clock::now(), deadline);
  EXPECT_TRUE(signals::consume_child_exited());
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, 0), child);
}

}  // namespace
}  // namespace tp0::sys
