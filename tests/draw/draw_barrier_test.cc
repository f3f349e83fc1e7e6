#include "server/draw/draw_barrier.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <thread>
#include <vector>

#include "common/sys/unique_fd.h"
#include "tests/support/seed.h"

namespace tp0::draw {
namespace {

using Finish = DrawBarrier::Finish;

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
  EXPECT_EQ(barrier.finish(0), Finish::kCounted);
  EXPECT_TRUE(barrier.finished(0));
  EXPECT_FALSE(barrier.finished(1));
  EXPECT_EQ(barrier.finish(0), Finish::kAlreadyFinished) << "a repeated agency counts once";
  EXPECT_EQ(barrier.finish(1), Finish::kCounted);
  EXPECT_FALSE(barrier.drawn());
  EXPECT_EQ(barrier.finished_count(), 2u);
  EXPECT_EQ(barrier.finish(2), Finish::kHeldTheDraw);
  EXPECT_TRUE(barrier.drawn());
  EXPECT_EQ(barrier.finish(2), Finish::kAlreadyFinished) << "after the draw nothing holds it again";
  EXPECT_EQ(barrier.repairs(), 0u);
}

TEST(DrawBarrier, WithNoAgenciesTheDrawIsHeldAtOnce) {
  DrawBarrier barrier(0);
  EXPECT_TRUE(barrier.drawn());
  EXPECT_EQ(barrier.finished_count(), 0u);
}

TEST(DrawBarrier, ExactlyOneProcessHoldsTheDrawAcrossProcesses) {
  constexpr std::uint32_t kAgencies = 8;
  for (int round = 0; round < 20; ++round) {
    DrawBarrier barrier(kAgencies);
    std::vector<pid_t> children;
    // Each child finishes its agency twice. Exit code: 10 if it held the draw, 0 otherwise.
    for (std::uint32_t position = 0; position < kAgencies; ++position) {
      children.push_back(fork_child([&barrier, position] {
        const bool held = barrier.finish(position) == Finish::kHeldTheDraw;
        if (barrier.finish(position) != Finish::kAlreadyFinished) return 1;
        return held ? 10 : 0;
      }));
    }
    int draws = 0;
    for (const pid_t pid : children) {
      const int code = exit_code_of(pid);
      ASSERT_TRUE(code == 0 || code == 10) << "child exit code " << code;
      draws += code == 10;
    }
    EXPECT_EQ(draws, 1) << "round " << round;
    EXPECT_TRUE(barrier.drawn());
    EXPECT_EQ(barrier.finished_count(), kAgencies);
  }
}

// A process may die at any instruction of finish(), holding the mutex or not. Children
// finish agencies in a tight loop and are SIGKILLed at a random moment; whatever they
// were doing, the state the next process sees must be one that whole finish() calls
// could have left: the count equals the agencies marked finished, the draw is held iff
// all are, and the draw is then held exactly once by the survivors.
TEST(DrawBarrier, ProcessesKilledAtRandomPointsOfFinishLeaveAConsistentState) {
  constexpr std::uint32_t kAgencies = 20000;
  constexpr int kKills = 60;
  std::mt19937_64 random(testing::test_seed());
  std::uint32_t repaired_rounds = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    DrawBarrier barrier(kAgencies);
    auto ready = sys::make_pipe(/*nonblocking=*/false);
    // The child marks agencies in a random order, so the last ones may be anywhere.
    const std::uint32_t start = static_cast<std::uint32_t>(random() % kAgencies);
    const pid_t child = fork_child([&] {
      const char byte = 1;
      if (::write(ready.write_end.get(), &byte, 1) != 1) return 3;
      for (std::uint32_t i = 0; i < kAgencies; ++i) barrier.finish((start + i) % kAgencies);
      // Finished all of them before the kill: stay, so that the kill still finds us.
      while (true) barrier.finished_count();
    });
    char byte;
    ASSERT_EQ(::read(ready.read_end.get(), &byte, 1), 1);
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
    ::kill(child, SIGKILL);
    ASSERT_EQ(exit_code_of(child), 128 + SIGKILL);

    std::uint32_t marked = 0;
    for (std::uint32_t position = 0; position < kAgencies; ++position) marked += barrier.finished(position) ? 1 : 0;
    repaired_rounds += barrier.repairs();
    const std::uint32_t count = barrier.finished_count();
    ASSERT_EQ(count, barrier.drawn() ? kAgencies : marked) << "kill " << kill;
    ASSERT_EQ(barrier.drawn(), count == kAgencies) << "kill " << kill;
    // The survivors finish the rest: the draw is held once, unless it already was.
    int draws = 0;
    for (std::uint32_t position = 0; position < kAgencies; ++position) {
      draws += barrier.finish(position) == Finish::kHeldTheDraw ? 1 : 0;
    }
    ASSERT_EQ(draws, marked == kAgencies ? 0 : 1) << "kill " << kill;
    ASSERT_TRUE(barrier.drawn());
  }
  // Not asserted (a kill may land outside the lock every time), but reported.
  std::printf("%u of %d kills landed while the mutex was held and were repaired\n", repaired_rounds, kKills);
}

}  // namespace
}  // namespace tp0::draw
