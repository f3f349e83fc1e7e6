#include "server/draw/draw_barrier.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <vector>

#include "common/sys/signals.h"
#include "common/sys/unique_fd.h"

namespace tp0::draw {
namespace {

// Forks a child that runs `body` and leaves with its result as exit code.
template <typename Body>
pid_t fork_child(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

int exit_code_of(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(DrawBarrier, DrawHappensOnlyWhenTheLastDistinctAgencyFinishes) {
  DrawBarrier barrier(3);
  EXPECT_FALSE(barrier.finish(1));
  EXPECT_FALSE(barrier.finish(1)) << "a repeated agency counts once";
  EXPECT_FALSE(barrier.finish(2));
  EXPECT_FALSE(barrier.drawn());
  EXPECT_EQ(barrier.finished_count(), 2u);
  EXPECT_TRUE(barrier.finish(3));
  EXPECT_TRUE(barrier.drawn());
  EXPECT_FALSE(barrier.finish(4)) << "after the draw nothing holds it again";
  EXPECT_FALSE(barrier.finish(3));
}

TEST(DrawBarrier, WithNoAgenciesTheDrawHasAlreadyHappened) {
  DrawBarrier barrier(0);
  EXPECT_TRUE(barrier.drawn());
  EXPECT_TRUE(barrier.wait_for_draw());
  EXPECT_FALSE(barrier.finish(1)) << "nothing is left to complete";
  EXPECT_EQ(barrier.finished_count(), 0u);
}

TEST(DrawBarrier, ReleasesEveryWaitingProcessExactlyOnceAcrossProcesses) {
  constexpr int kAgencies = 8;
  for (int round = 0; round < 20; ++round) {
    DrawBarrier barrier(kAgencies);
    std::vector<pid_t> children;
    // Each child finishes its agency, then waits for the draw. Exit code: 10 if this child
    // held the draw, 0 otherwise; anything else is a failure.
    for (std::uint32_t agency = 1; agency <= kAgencies; ++agency) {
      children.push_back(fork_child([&barrier, agency] {
        const bool held_draw = barrier.finish(agency);
        if (!barrier.wait_for_draw() || !barrier.drawn()) return 1;
        return held_draw ? 10 : 0;
      }));
    }
    int draws = 0;
    for (const pid_t pid : children) {
      const int code = exit_code_of(pid);
      ASSERT_TRUE(code == 0 || code == 10) << "child exit code " << code;
      draws += code == 10;
    }
    EXPECT_EQ(draws, 1) << "round " << round;
    EXPECT_EQ(barrier.finished_count(), static_cast<std::uint32_t>(kAgencies));
  }
}

TEST(DrawBarrier, WaiterStopsOnShutdownSignal) {
  DrawBarrier barrier(2);
  auto ready = sys::make_pipe(/*nonblocking=*/false);
  const pid_t child = fork_child([&] {
    sys::signals::install();
    const char byte = 1;
    if (::write(ready.write_end.get(), &byte, 1) != 1) return 3;
    return barrier.wait_for_draw() ? 1 : 0;
  });
  char byte;
  ASSERT_EQ(::read(ready.read_end.get(), &byte, 1), 1);
  ::kill(child, SIGTERM);
  EXPECT_EQ(exit_code_of(child), 0) << "wait_for_draw must return false on SIGTERM";
  EXPECT_FALSE(barrier.drawn());
}

TEST(DrawBarrier, WaiterStopsWhenItsConditionSaysSoAndNotBefore) {
  DrawBarrier barrier(1);
  // The condition turns true on its third look, as a client hanging up would.
  int looks = 0;
  EXPECT_FALSE(barrier.wait_for_draw([&] { return ++looks == 3; }));
  EXPECT_EQ(looks, 3);
  EXPECT_FALSE(barrier.drawn());
  EXPECT_TRUE(barrier.finish(1));
  EXPECT_TRUE(barrier.wait_for_draw([] { return true; })) << "a drawn barrier does not ask";
}

TEST(DrawBarrier, SurvivesProcessesKilledWhileUsingTheLock) {
  DrawBarrier barrier(2);
  // Each child takes and releases the lock in a tight loop until it is killed, so some
  // die holding it; the robust mutex must be taken over, never stay locked.
  for (int round = 0; round < 50; ++round) {
    auto ready = sys::make_pipe(/*nonblocking=*/false);
    const pid_t child = fork_child([&barrier, &ready] {
      const char byte = 1;
      if (::write(ready.write_end.get(), &byte, 1) != 1) return 3;
      while (true) barrier.finished_count();
    });
    char byte;
    ASSERT_EQ(::read(ready.read_end.get(), &byte, 1), 1);
    ::kill(child, SIGKILL);
    exit_code_of(child);
  }
  EXPECT_FALSE(barrier.finish(1));
  EXPECT_TRUE(barrier.finish(2));
}

}  // namespace
}  // namespace tp0::draw
