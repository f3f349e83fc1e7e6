// The TLS transport under net::Connection: short reads and writes, records that arrive in
// pieces, the end of a session (close_notify) and what is left of the socket after it.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "common/net/errors.h"
#include "common/tls/session.h"
#include "tests/support/seed.h"
#include "tests/tls/fixture.h"
#include "tests/tls/ssl_end.h"

namespace tp0::testing {
namespace {

using TlsTransport = TlsFixture;

// Both sides secured by the code under test.
void handshake(net::Connection& server, net::Connection& client, const tls::Context& server_context,
               tls::Context& client_context) {
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(server, server_context); });
  tls::connect(client, client_context, "127.0.0.1");
  ASSERT_EQ(accepted.get(), kAgency);
}

std::vector<std::byte> random_bytes(std::size_t size, std::mt19937_64& random) {
  std::vector<std::byte> bytes(size);
  for (auto& byte : bytes) byte = static_cast<std::byte>(random());
  return bytes;
}

TEST_F(TlsTransport, ReturnToPlainEndsTheSessionBothWaysAndLeavesAUsableBareSocket) {
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  handshake(server, client, server_context_, client_context_);
  server.write_all(bytes_of("wait"));
  EXPECT_EQ(read_text(client, 4), "wait");

  auto server_done = std::async(std::launch::async, [&] { server.return_to_plain(); });
  client.return_to_plain();
  server_done.get();

  // What crosses now is the bytes themselves, not TLS records.
  client.write_all(bytes_of("bare"));
  EXPECT_EQ(wire_bytes(server, 4), "bare");
  server.write_all(bytes_of("back"));
  EXPECT_EQ(read_text(client, 4), "back");
}

// The hand-over to the waiting room relies on it: OpenSSL reads no further than the
// close_notify record, so what follows it on the socket stays there for the next reader.
TEST_F(TlsTransport, BytesRightBehindTheCloseNotifyStayOnTheSocket) {
  Ends ends = server_connection_and_raw_client();
  const int client_fd = ends.client.get();
  SslEnd client(std::move(ends.client), client_context_.get(), SslRole::kClient);
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(ends.server, server_context_); });
  ASSERT_TRUE(client.handshake()) << client.error();
  ASSERT_EQ(accepted.get(), kAgency);
  // close_notify and plain bytes behind it, before the server reads any of them.
  client.say_goodbye();
  ASSERT_EQ(::send(client_fd, "after", 5, MSG_NOSIGNAL), 5);

  ends.server.return_to_plain();
  EXPECT_EQ(read_text(ends.server, 5), "after");
}

TEST_F(TlsTransport, CloseSendsCloseNotify) {
  Ends ends = server_connection_and_raw_client();
  SslEnd client(std::move(ends.client), client_context_.get(), SslRole::kClient);
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(ends.server, server_context_); });
  ASSERT_TRUE(client.handshake()) << client.error();
  ASSERT_EQ(accepted.get(), kAgency);
  ends.server.close();
  std::byte nothing[1];
  EXPECT_EQ(client.read_some(nothing), 0u);
  EXPECT_TRUE(client.ended_by_close_notify()) << client.error();
}

// A reset is not a close: the server's read says so, as on a plain socket, instead of
// ending the stream as if the client had finished.
TEST_F(TlsTransport, APeerThatResetsIsConnectionResetNotAnEndOfStream) {
  Connections ends = connection_pair();
  handshake(ends.server, ends.client, server_context_, client_context_);
  const linger abort{1, 0};
  ASSERT_EQ(::setsockopt(ends.client.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort), 0);
  ends.client.close_quietly();
  std::array<std::byte, 16> buffer{};
  try {
    ends.server.read_some(buffer);
    FAIL() << "the reset read as the stream's end";
  } catch (const net::ConnectionReset& error) {
    EXPECT_STREQ(error.what(), "receive from 127.0.0.1: connection reset by peer");
  }
}

// Small socket buffers and a reader that takes a few bytes at a time: the writer's
// SSL_write meets a full socket (WANT_WRITE) again and again, and the reader gets records
// in parts.
TEST_F(TlsTransport, AWriteOfSeveralHundredKilobytesReachesASlowReaderWhole) {
  std::mt19937_64 random(test_seed());
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  for (const int fd : {server.fd(), client.fd()}) {
    const int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }
  handshake(server, client, server_context_, client_context_);
  const std::vector<std::byte> sent = random_bytes(std::size_t{700} * 1024, random);
  auto written = std::async(std::launch::async, [&] { server.write_all(sent); });

  std::vector<std::byte> received;
  received.reserve(sent.size());
  std::size_t reads = 0;
  std::array<std::byte, 3000> chunk{};
  while (received.size() < sent.size()) {
    const std::size_t want = 1 + random() % chunk.size();
    const std::size_t got = client.read_some(std::span(chunk).first(want));
    ASSERT_GT(got, 0u) << "the stream ended after " << received.size() << " bytes";
    received.insert(received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    ++reads;
  }
  written.get();
  EXPECT_TRUE(received == sent) << "the bytes arrived changed";
  EXPECT_GT(reads, 400u);
}

// Moves bytes between two sockets a few at a time, in both directions, until both sides
// have closed: every TLS record, of the handshake and after it, arrives in pieces.
void trickle(int a, int b, std::mt19937_64 random) {
  std::array<pollfd, 2> ends{pollfd{a, POLLIN, 0}, pollfd{b, POLLIN, 0}};
  bool open[2] = {true, true};
  while (open[0] || open[1]) {
    if (::poll(ends.data(), ends.size(), 20'000) <= 0) return;
    for (int side = 0; side < 2; ++side) {
      if (!open[side] || ends[side].revents == 0) continue;
      char piece[7];
      const std::size_t want = 1 + random() % sizeof piece;
      const ssize_t got = ::recv(ends[side].fd, piece, want, 0);
      const int other = ends[1 - side].fd;
      if (got <= 0) {
        open[side] = false;
        ends[side].fd = -1;
        ::shutdown(other, SHUT_WR);
        continue;
      }
      if (::send(other, piece, static_cast<std::size_t>(got), MSG_NOSIGNAL) != got) return;
    }
  }
}

TEST_F(TlsTransport, RecordsThatArriveAFewBytesAtATimeAreReadWhole) {
  std::mt19937_64 random(test_seed());
  int left[2];
  int right[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, left), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, right), 0);
  const sys::UniqueFd relay_left(left[1]);
  const sys::UniqueFd relay_right(right[1]);
  // Joined after the connections below are gone, whose close ends it.
  const std::jthread relay(trickle, relay_left.get(), relay_right.get(), std::mt19937_64(random()));
  net::Connection server = connection_of(sys::UniqueFd(left[0]));
  net::Connection client = connection_of(sys::UniqueFd(right[0]));

  handshake(server, client, server_context_, client_context_);
  const std::vector<std::byte> up = random_bytes(std::size_t{40} * 1024, random);
  const std::vector<std::byte> down = random_bytes(std::size_t{40} * 1024, random);
  auto served = std::async(std::launch::async, [&] {
    std::vector<std::byte> got(up.size());
    std::size_t done = 0;
    while (done < got.size()) {
      const std::size_t part = server.read_some(std::span(got).subspan(done));
      if (part == 0) break;
      done += part;
    }
    server.write_all(down);
    got.resize(done);
    return got;
  });
  client.write_all(up);
  std::vector<std::byte> got(down.size());
  std::size_t done = 0;
  while (done < got.size()) {
    const std::size_t part = client.read_some(std::span(got).subspan(done));
    ASSERT_GT(part, 0u);
    done += part;
  }
  EXPECT_TRUE(served.get() == up);
  EXPECT_TRUE(got == down);
}

}  // namespace
}  // namespace tp0::testing
