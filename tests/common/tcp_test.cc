#include "common/net/tcp.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/net/errors.h"
#include "common/sys/wait.h"
#include "tests/support/listener.h"

namespace tp0::net {
namespace {

using std::chrono::steady_clock;
using namespace std::chrono_literals;

int option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(::getsockopt(fd, level, name, &value, &length), 0);
  return value;
}

// Keepalive on, and a dead peer found within about a minute: idle + interval x probes.
void expect_keepalive(const Connection& connection) {
  const int fd = connection.fd();
  EXPECT_EQ(option(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  const int idle = option(fd, IPPROTO_TCP, TCP_KEEPIDLE);
  const int interval = option(fd, IPPROTO_TCP, TCP_KEEPINTVL);
  const int probes = option(fd, IPPROTO_TCP, TCP_KEEPCNT);
  EXPECT_GT(idle, 0);
  EXPECT_LE(idle + interval * probes, 90) << idle << " + " << interval << " x " << probes << " s";
}

std::optional<Connection> accept_within(TcpListener& listener, std::chrono::milliseconds patience) {
  const auto deadline = steady_clock::now() + patience;
  while (steady_clock::now() < deadline) {
    pollfd watched{listener.fd(), POLLIN, 0};
    if (!sys::wait_until({&watched, 1}, deadline)) break;
    if (auto connection = testing::accept_or_throw(listener)) return connection;
  }
  return std::nullopt;
}

TEST(Tcp, DialedAndAcceptedConnectionsKeepTheConnectionAlive) {
  TcpListener listener = TcpListener::listen("127.0.0.1", 0, 4);
  const Connection dialed = connect_to("127.0.0.1", std::to_string(listener.port()), 5s);
  const std::optional<Connection> accepted = accept_within(listener, 5s);
  ASSERT_TRUE(accepted.has_value());
  expect_keepalive(dialed);
  expect_keepalive(*accepted);
}

TEST(Tcp, AConnectNobodyCompletesEndsAtItsTimeout) {
  // A backlog of 0 queues one connection; once it is full the kernel drops every SYN.
  const TcpListener listener = TcpListener::listen("127.0.0.1", 0, 0);
  const std::string port = std::to_string(listener.port());
  std::vector<Connection> queued;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const auto started = steady_clock::now();
    try {
      queued.push_back(connect_to("127.0.0.1", port, 200ms));
    } catch (const NetError& error) {
      const auto elapsed = steady_clock::now() - started;
      EXPECT_NE(std::string(error.what())
                    .find("connect to 127.0.0.1:" + port + ": connect: not connected within 200 ms"),
                std::string::npos)
          << error.what();
      EXPECT_GE(elapsed, 200ms);
      EXPECT_LT(elapsed, 2s);
      EXPECT_FALSE(queued.empty()) << "the first connection did not complete";
      return;
    }
  }
  FAIL() << "every connect completed: the listener's queue never filled";
}

}  // namespace
}  // namespace tp0::net
