// What a connection tells of its peer: a reset (TCP RST) is ConnectionReset, never the
// clean end of the stream that a close is; whether its first message has arrived whole.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

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

// Waits until `count` bytes sent to `connection` are there to be read.
void wait_until_unread(const Connection& connection, int count) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int unread = 0;
  while (::ioctl(connection.fd(), FIONREAD, &unread) == 0 && unread < count) {
    pollfd readable{connection.fd(), POLLIN, 0};
    ASSERT_TRUE(sys::wait_until({&readable, 1}, deadline)) << unread << " of " << count << " bytes";
  }
}

// A frame's header (4 bytes, all of them the length) and a TLS record's (5 bytes, the
// last 2 the length), each sent a piece at a time: whole only once the body has come,
// and nothing taken from the socket by asking.
TEST(NetConnectionFirstMessage, WholeOnlyOnceItsHeaderAndTheBodyItAnnouncesHaveArrived) {
  struct Shape {
    std::size_t header;
    std::size_t length_bytes;
    std::vector<std::byte> message;
  };
  const std::vector<Shape> shapes{
      {4,
       4,
       {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{3}, std::byte{7}, std::byte{8}, std::byte{9}}},
      {5,
       2,
       {std::byte{22}, std::byte{3}, std::byte{1}, std::byte{0}, std::byte{2}, std::byte{7}, std::byte{8}}}};
  for (const Shape& shape : shapes) {
    TcpPair pair = tcp_pair();
    EXPECT_FALSE(pair.accepted.holds_whole_message(shape.header, shape.length_bytes)) << "nothing sent";
    for (std::size_t sent = 1; sent <= shape.message.size(); ++sent) {
      pair.dialed.write_all(std::span(&shape.message[sent - 1], 1));
      wait_until_unread(pair.accepted, static_cast<int>(sent));
      EXPECT_EQ(pair.accepted.holds_whole_message(shape.header, shape.length_bytes),
                sent == shape.message.size())
          << sent << " of " << shape.message.size() << " bytes, header of " << shape.header;
    }
    std::array<std::byte, 16> read{};
    ASSERT_EQ(pair.accepted.read_some(read), shape.message.size());
    EXPECT_TRUE(std::equal(shape.message.begin(), shape.message.end(), read.begin()));
  }
}

// What tells the accept loop a silent connection from one whose first message is on its
// way: how long ago it was established, read from the kernel, not from when it was
// accepted.
TEST(NetConnectionFirstMessage, AnAgeCountsFromTheConnectWhileNothingWasSent) {
  TcpListener listener = TcpListener::listen("127.0.0.1", 0, 1);
  const auto connected = std::chrono::steady_clock::now();
  Connection dialed = connect_to("127.0.0.1", std::to_string(listener.port()), 5s);
  // Time passing is what is measured here: the connection waits in the listen queue.
  std::this_thread::sleep_for(100ms);
  std::optional<Connection> accepted = testing::accept_or_throw(listener);
  ASSERT_TRUE(accepted);
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - connected);
  // The kernel counts in ticks of up to 10 ms.
  EXPECT_GE(accepted->age_before_first_send(), 90ms);
  EXPECT_LE(accepted->age_before_first_send(), waited + 10ms);
}

}  // namespace
}  // namespace tp0::net
