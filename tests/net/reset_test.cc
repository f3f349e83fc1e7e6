// A peer that resets its connection (TCP RST) is ConnectionReset, never the clean end of
// the stream that a close is.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include "common/net/connection.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/sys/wait.h"
#include "tests/support/listener.h"

namespace tp0::net {
namespace {

using namespace std::chrono_literals;

struct TcpPair {
  Connection accepted;
  Connection dialed;
};

TcpPair tcp_pair() {
  TcpListener listener = TcpListener::listen("127.0.0.1", 0, 1);
  Connection dialed = connect_to("127.0.0.1", std::to_string(listener.port()), 5s);
  pollfd ready{listener.fd(), POLLIN, 0};
  sys::wait_until({&ready, 1}, std::chrono::steady_clock::now() + 5s);
  std::optional<Connection> accepted = testing::accept_or_throw(listener);
  if (!accepted) throw NetError("nothing to accept");
  accepted->set_idle_timeout(5s);
  return TcpPair{std::move(*accepted), std::move(dialed)};
}

// Closes `connection` with a reset instead of the orderly close.
void reset(Connection& connection) {
  const linger abort{1, 0};
  ASSERT_EQ(::setsockopt(connection.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort), 0);
  connection.close_quietly();
}

TEST(NetConnectionReset, AResetBetweenMessagesIsNotAnEndOfStream) {
  TcpPair pair = tcp_pair();
  reset(pair.dialed);
  std::array<std::byte, 16> buffer{};
  try {
    pair.accepted.read_some(buffer);
    FAIL() << "the reset read as the stream's end";
  } catch (const ConnectionReset& error) {
    EXPECT_STREQ(error.what(), "receive from 127.0.0.1: connection reset by peer");
  }
}

TEST(NetConnectionReset, AnOrderlyCloseIsStillTheEndOfTheStream) {
  TcpPair pair = tcp_pair();
  pair.dialed.close();
  std::array<std::byte, 16> buffer{};
  EXPECT_EQ(pair.accepted.read_some(buffer), 0u);
}

TEST(NetConnectionReset, ASendToAPeerThatResetIsAFailure) {
  TcpPair pair = tcp_pair();
  reset(pair.dialed);
  // The first send may only meet the reset; one of the next ones fails with it.
  const std::array<std::byte, 16> data{};
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) pair.accepted.write_all(data);
      },
      NetError);
}

}  // namespace
}  // namespace tp0::net
