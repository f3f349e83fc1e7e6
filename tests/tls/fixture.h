#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "common/net/connection.h"
#include "common/tls/context.h"
#include "tests/support/process.h"
#include "tests/tls/loopback.h"
#include "tests/tls/test_pki.h"

namespace tp0::testing {

// The agency whose certificate the unit tests' client shows.
inline constexpr std::uint32_t kAgency = 7;
// Bounds every wait of a connection under test, so that a hang fails instead.
inline constexpr std::chrono::seconds kPatience{20};

// The round's certificates (agencies 7 and 8, the wrong ones made for 7), the server's
// context and agency 7's client context, as the programs make them.
class TlsFixture : public ::testing::Test {
 protected:
  // A loopback connection whose server end is the project's Connection; the client end is
  // the test's to wrap as it needs.
  struct Ends {
    net::Connection server;
    sys::UniqueFd client;
  };

  static net::Connection connection_of(sys::UniqueFd fd) {
    net::Connection connection(std::move(fd), "127.0.0.1");
    connection.set_idle_timeout(kPatience);
    return connection;
  }

  struct Connections {
    net::Connection server;
    net::Connection client;
  };

  static Connections connection_pair() {
    LoopbackPair pair = make_loopback_pair();
    return Connections{connection_of(std::move(pair.server)), connection_of(std::move(pair.client))};
  }

  static Ends server_connection_and_raw_client() {
    LoopbackPair pair = make_loopback_pair();
    return Ends{connection_of(std::move(pair.server)), std::move(pair.client)};
  }

  TempDir dir_;
  TestPki pki_{dir_.file("pki"), {kAgency, kAgency + 1}, kAgency};
  tls::Context server_context_{tls::Context::Side::kServer, pki_.server()};
  tls::Context client_context_{tls::Context::Side::kClient, pki_.agency(kAgency)};
};

inline std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// Reads exactly `size` bytes from `connection` (fewer if it ends first).
inline std::string read_text(net::Connection& connection, std::size_t size) {
  std::string text(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const std::size_t got = connection.read_some(std::as_writable_bytes(std::span(text)).subspan(done));
    if (got == 0) break;
    done += got;
  }
  text.resize(done);
  return text;
}

// The next `size` bytes on `connection`'s socket as they crossed the wire, under any TLS
// session, waiting for all of them (the session left the socket non-blocking); `flags`
// MSG_PEEK leaves them there. Fewer if the socket fails or ends first.
inline std::string wire_bytes(net::Connection& connection, std::size_t size, int flags = 0) {
  const int mode = ::fcntl(connection.fd(), F_GETFL);
  ::fcntl(connection.fd(), F_SETFL, mode & ~O_NONBLOCK);
  std::string bytes(size, '\0');
  const ssize_t got = ::recv(connection.fd(), bytes.data(), size, flags | MSG_WAITALL);
  ::fcntl(connection.fd(), F_SETFL, mode);
  bytes.resize(got < 0 ? 0 : static_cast<std::size_t>(got));
  return bytes;
}

}  // namespace tp0::testing
