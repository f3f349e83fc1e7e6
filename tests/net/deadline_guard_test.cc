// net::DeadlineGuard: a deadline for one step of a conversation, which byte after byte
// of activity cannot push back, and which never loosens a deadline already in force.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/net/connection.h"
#include "common/net/errors.h"
#include "tests/support/socket_pair.h"
#include "tests/support/trickler.h"

namespace tp0::net {
namespace {

using std::chrono::steady_clock;
using namespace std::chrono_literals;

// Reads from `connection` until it throws IdleTimeout; returns its message, and in
// `received` how many bytes came before it. Fails the test if the stream ends instead.
std::string read_until_timeout(Connection& connection, std::size_t& received) {
  std::array<std::byte, 64> buffer{};
  try {
    while (true) {
      const std::size_t got = connection.read_some(buffer);
      if (got == 0) {
        ADD_FAILURE() << "the stream ended";
        return "";
      }
      received += got;
    }
  } catch (const IdleTimeout& timeout) {
    return timeout.what();
  }
}

TEST(NetDeadlineGuard, BytesTrickledWithinTheIdleTimeoutEndAtTheGuardsDeadline) {
  auto pair = testing::make_socket_pair();
  pair.local.set_idle_timeout(1000ms);
  const std::vector<std::byte> bytes(100, std::byte{'x'});
  std::size_t received = 0;
  std::string error;
  const auto started = steady_clock::now();
  {
    // A byte every 50 ms: twenty times the activity the idle timeout asks for.
    testing::Trickler peer(pair.remote.get(), bytes, 50ms);
    {
      const DeadlineGuard guard(pair.local, 400ms, "frame");
      error = read_until_timeout(pair.local, received);
    }
    pair.remote.reset();
  }
  const auto elapsed = steady_clock::now() - started;
  EXPECT_EQ(error, "receive from test-peer: frame not done within its deadline of 400 ms");
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 1000ms) << "the idle timeout would have fired no sooner";
  EXPECT_GE(received, 2u) << "the peer was active, byte after byte";
  EXPECT_LT(received, bytes.size());
}

TEST(NetDeadlineGuard, OnceGoneTheConnectionHasNoDeadlineAgain) {
  auto pair = testing::make_socket_pair();
  pair.local.set_idle_timeout(200ms);
  {
    const DeadlineGuard guard(pair.local, 1ms, "frame");
    std::array<std::byte, 1> byte{};
    EXPECT_THROW(pair.local.read_some(byte), IdleTimeout);
  }
  // Past the guard's deadline, only the idle timeout is left.
  std::size_t received = 0;
  EXPECT_EQ(read_until_timeout(pair.local, received), "receive from test-peer: no activity for 200 ms");
}

TEST(NetDeadlineGuard, NeverLoosensAnEarlierDeadline) {
  auto pair = testing::make_socket_pair();
  pair.local.set_idle_timeout(10s);
  pair.local.set_deadline(300ms);  // the introduction's, say
  const auto started = steady_clock::now();
  std::size_t received = 0;
  {
    const DeadlineGuard guard(pair.local, 10s, "frame");
    EXPECT_EQ(read_until_timeout(pair.local, received),
              "receive from test-peer: not done within its deadline of 300 ms")
        << "the guard's 10 s replaced the earlier deadline";
  }
  EXPECT_LT(steady_clock::now() - started, 2s);
  // Still in force once the guard is gone.
  EXPECT_EQ(read_until_timeout(pair.local, received),
            "receive from test-peer: not done within its deadline of 300 ms");
}

TEST(NetDeadlineGuard, TightensALaterDeadlineAndGivesItBack) {
  auto pair = testing::make_socket_pair();
  pair.local.set_idle_timeout(10s);
  pair.local.set_deadline(10s);
  std::size_t received = 0;
  {
    const DeadlineGuard guard(pair.local, 200ms, "frame");
    EXPECT_EQ(read_until_timeout(pair.local, received),
              "receive from test-peer: frame not done within its deadline of 200 ms");
  }
  // Back to the 10 s deadline: a byte written now is read, not refused as late.
  const char byte = 'y';
  ASSERT_EQ(::write(pair.remote.get(), &byte, 1), 1);
  std::array<std::byte, 1> got{};
  EXPECT_EQ(pair.local.read_some(got), 1u);
}

TEST(NetDeadlineGuard, BoundsASendToAPeerThatNeverReads) {
  auto pair = testing::make_socket_pair();
  pair.local.set_idle_timeout(10s);
  // More than any socket buffer holds: the peer reads none of it.
  const std::vector<std::byte> data(std::size_t{16} << 20, std::byte{'z'});
  const auto started = steady_clock::now();
  try {
    const DeadlineGuard guard(pair.local, 300ms, "send");
    pair.local.write_all(data);
    ADD_FAILURE() << "the whole send went through";
  } catch (const IdleTimeout& timeout) {
    EXPECT_STREQ(timeout.what(), "send to test-peer: send not done within its deadline of 300 ms");
  }
  const auto elapsed = steady_clock::now() - started;
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 2s);
}

}  // namespace
}  // namespace tp0::net
