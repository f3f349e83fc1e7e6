// The way from a connection's child to the waiting room, with a room that reads nothing
// (its socket's buffer full) and with one that has no descriptor free.
#include "server/handback.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "common/logging/logging.h"
#include "common/net/errors.h"
#include "common/sys/signals.h"
#include "tests/support/process.h"
#include "tests/support/socket_pair.h"
#include "tests/support/stdout_to_file.h"

namespace tp0::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kShortPatience{50};
// Far more hand-overs than a socket's buffer holds: a bound on the filling loop.
constexpr int kMostHandOvers = 100'000;

// Hands `connection` over until the room's socket is full: until one waits its whole
// patience. Returns how many went through; `waited` is how long the last one took.
int fill(Handback& handback, const net::Connection& connection, std::chrono::microseconds& waited) {
  for (int sent = 0; sent < kMostHandOvers; ++sent) {
    const auto before = steady_clock::now();
    try {
      handback.hand_over(1, connection, kShortPatience);
    } catch (const Handback::HandOverTimedOut&) {
      waited = std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - before);
      return sent;
    }
  }
  return kMostHandOvers;
}

// A room that reads nothing: each hand-over goes until the socket's buffer is full, and
// then one returns once its patience has passed, instead of blocking. Once the room reads
// again, they go through again.
TEST(Handback, AHandOverToARoomThatReadsNothingEndsWithItsPatience) {
  Handback handback;
  const auto pair = testing::make_socket_pair();
  std::chrono::microseconds waited{0};
  const int sent = fill(handback, pair.local, waited);
  ASSERT_LT(sent, kMostHandOvers) << "the socket never filled";
  EXPECT_GT(sent, 0);
  EXPECT_GE(waited, kShortPatience);
  EXPECT_LT(waited, kShortPatience + milliseconds(1000));
  EXPECT_EQ(handback.receive().size(), static_cast<std::size_t>(sent));
  EXPECT_NO_THROW(handback.hand_over(2, pair.local, kShortPatience));
  EXPECT_EQ(handback.receive().size(), 1u);
}

// SIGTERM while a child waits for room in the full socket: the wait ends at once, however
// long its patience, with ShutdownRequested. In a child process, since the shutdown flag,
// once set, stays set for the process.
TEST(Handback, SigtermEndsAHandOverWaitingForAFullRoom) {
  enum ChildExit { kShutdownRequested = 0, kOtherError = 2, kTimedOut = 3, kNeverFull = 4 };
  constexpr milliseconds kLongPatience{60'000};
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    ::close(ready[0]);
    int code = kOtherError;
    try {
      sys::signals::install();
      Handback handback;
      const auto pair = testing::make_socket_pair();
      std::chrono::microseconds waited{0};
      if (fill(handback, pair.local, waited) == kMostHandOvers) ::_exit(kNeverFull);
      if (::write(ready[1], "r", 1) != 1) ::_exit(kOtherError);
      handback.hand_over(1, pair.local, kLongPatience);
    } catch (const net::ShutdownRequested&) {
      code = kShutdownRequested;
    } catch (const Handback::HandOverTimedOut&) {
      code = kTimedOut;
    } catch (...) {
      code = kOtherError;
    }
    ::_exit(code);
  }
  ::close(ready[1]);
  char byte = 0;
  const bool full = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  // Asleep in the hand-over's wait: the signal must wake it, not merely be seen before it.
  const auto patience = steady_clock::now() + milliseconds(5000);
  while (full && testing::state_of(child) != 'S' && steady_clock::now() < patience) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  const auto signalled = steady_clock::now();
  ::kill(child, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto took = steady_clock::now() - signalled;
  ASSERT_TRUE(full) << "the child did not fill the room's socket";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kShutdownRequested);
  EXPECT_LT(took, milliseconds(2000));
}

// A room with no descriptor free (RLIMIT_NOFILE reached) cannot take the connection: the
// kernel drops the descriptor and says so (MSG_CTRUNC), and the room logs which agency's
// connection it lost, and from where.
TEST(Handback, ADescriptorTheRoomCannotTakeIsLoggedWithItsAgency) {
  const testing::TempDir dir;
  Handback handback;
  const auto pair = testing::make_socket_pair();
  handback.hand_over(7, pair.local, kShortPatience);
  const std::string log = dir.file("log");
  std::size_t received = 0;
  {
    const testing::StdoutToFile captured(log);
    logging::init(logging::Level::kWarning);
    // UBSan checks an object's dynamic type with the help of a pipe, unless it has seen
    // that type before: a line logged first leaves it nothing to check under the limit.
    logging::warning(
        logging::Event("before_the_limit", logging::Result::kSuccess).with("ip", "-").with("agency", 0));
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    // Every descriptor below the lowest free one is taken: a limit there leaves none.
    const int lowest_free = ::dup(STDIN_FILENO);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);
    rlimit none_free = saved;
    none_free.rlim_cur = static_cast<rlim_t>(lowest_free);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &none_free), 0);
    received = handback.receive().size();
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
    logging::init(logging::Level::kCritical);
  }
  EXPECT_EQ(received, 0u);
  const std::string logged = testing::read_file(log);
  EXPECT_NE(logged.find(
                "WARNING  action: receive_connection | result: fail | ip: test-peer | agency: 7 | error: its "
                "descriptor was dropped"),
            std::string::npos)
      << logged;
  // What comes next is received as before.
  handback.hand_over(8, pair.local, kShortPatience);
  const auto next = handback.receive();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].agency, 8u);
}

}  // namespace
}  // namespace tp0::server
