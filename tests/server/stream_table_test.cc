#include "server/storage/stream_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "common/sys/unique_fd.h"
#include "server/storage/journal.h"
#include "tests/support/process.h"
#include "tests/support/seed.h"

namespace tp0::storage {
namespace {

// Forks a child that runs `body` and leaves with its result as exit code.
template <typename Body>
pid_t fork_child(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

// The stream ids 1 to `count`.
std::vector<std::uint32_t> ids_up_to(std::uint32_t count) {
  std::vector<std::uint32_t> ids(count);
  std::iota(ids.begin(), ids.end(), 1u);
  return ids;
}

JournalEntry closing(std::uint32_t stream) { return {JournalEntry::Kind::kClosed, stream, 0, 0, 0}; }

TEST(StorageStreamTable, AllClosedIsClaimedOnceAndOnlyWhenTheLastDistinctStreamCloses) {
  StreamTable table({3, 1, 2});
  table.apply(closing(1));
  EXPECT_TRUE(table.stream(1).closed);
  EXPECT_FALSE(table.stream(2).closed);
  table.apply(closing(1));
  EXPECT_EQ(table.closed_count(), 1u) << "a stream closed again counts once";
  table.apply(closing(2));
  EXPECT_FALSE(table.claim_all_closed());
  table.apply(closing(3));
  EXPECT_EQ(table.closed_count(), 3u);
  EXPECT_TRUE(table.claim_all_closed());
  EXPECT_FALSE(table.claim_all_closed()) << "claimed twice";
}

TEST(StorageStreamTable, ATableOfNoStreamsIsAllClosedAtOnce) {
  StreamTable table({});
  EXPECT_EQ(table.closed_count(), 0u);
  EXPECT_TRUE(table.claim_all_closed());
}

TEST(StorageStreamTable, ExactlyOneProcessClaimsAllClosed) {
  constexpr std::uint32_t kStreams = 8;
  for (int round = 0; round < 20; ++round) {
    const std::vector<std::uint32_t> ids = ids_up_to(kStreams);
    StreamTable table(ids);
    std::vector<pid_t> children;
    children.reserve(ids.size());
    // Each child closes its stream twice, then claims. Exit code: 10 if it claimed, 0 otherwise.
    for (const std::uint32_t id : ids) {
      children.push_back(fork_child([&table, id] {
        table.apply(closing(id));
        table.apply(closing(id));
        return table.claim_all_closed() ? 10 : 0;
      }));
    }
    int claims = 0;
    for (const pid_t pid : children) {
      const int code = testing::exit_code_of(pid);
      ASSERT_TRUE(code == 0 || code == 10) << "child exit code " << code;
      claims += code == 10;
    }
    EXPECT_EQ(claims, 1) << "round " << round;
    EXPECT_EQ(table.closed_count(), kStreams);
    EXPECT_EQ(table.entries(), 2 * kStreams);
  }
}

// A process may die at any instruction of apply(), holding the mutex or not. A child
// closes streams in a tight loop and is SIGKILLed at a random moment; whatever it was
// doing, the state the next process sees must be one that whole apply() calls could
// have left: the count equals the rows marked closed, and once the survivors close the
// rest, all closed is claimed exactly once.
TEST(StorageStreamTable, ProcessesKilledAtRandomPointsOfApplyLeaveAConsistentState) {
  constexpr std::uint32_t kStreams = 20000;
  constexpr int kKills = 60;
  std::mt19937_64 random(testing::test_seed());
  const std::vector<std::uint32_t> ids = ids_up_to(kStreams);
  for (int kill = 0; kill < kKills; ++kill) {
    StreamTable table(ids);
    auto ready = sys::make_pipe(/*nonblocking=*/false);
    // The child closes streams in a random order, so the last ones may be anywhere.
    const std::uint32_t start = static_cast<std::uint32_t>(random() % kStreams);
    const pid_t child = fork_child([&] {
      const char byte = 1;
      if (::write(ready.write_end.get(), &byte, 1) != 1) return 3;
      for (std::uint32_t i = 0; i < kStreams; ++i) table.apply(closing(1 + (start + i) % kStreams));
      // Closed all of them before the kill: stay, so that the kill still finds us.
      while (true) table.closed_count();
    });
    char byte;
    ASSERT_EQ(::read(ready.read_end.get(), &byte, 1), 1);
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
    ::kill(child, SIGKILL);
    ASSERT_EQ(testing::exit_code_of(child), 128 + SIGKILL);

    std::uint32_t marked = 0;
    for (std::uint32_t index = 0; index < kStreams; ++index) marked += table.at(index).closed ? 1 : 0;
    ASSERT_EQ(table.closed_count(), marked) << "kill " << kill;
    for (const std::uint32_t id : ids) {
      if (!table.stream(id).closed) table.apply(closing(id));
    }
    ASSERT_EQ(table.closed_count(), kStreams) << "kill " << kill;
    ASSERT_TRUE(table.claim_all_closed()) << "kill " << kill;
    ASSERT_FALSE(table.claim_all_closed()) << "kill " << kill;
  }
}

}  // namespace
}  // namespace tp0::storage
