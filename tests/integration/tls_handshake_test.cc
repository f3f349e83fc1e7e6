// Peers that never prove which agency they are: refused at the TLS handshake, each logged
// with its address and OpenSSL's reason, while the server goes on serving the round.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "common/protocol/codec.h"
#include "tests/integration/tls_round.h"

namespace tp0::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kHelloTimeout{500};

class TlsHandshakeRefusals : public TlsRound {
 protected:
  // Shows `identity` and expects the server to refuse it for `reason`: the peer gets an
  // alert, never an answer, and the server logs the refusal.
  void expect_refused(const std::optional<tls::Credentials>& identity, const std::string& reason) {
    SslEnd attacker = peer(identity);
    // TLS 1.3: the client's side of the handshake is done before the server has checked
    // its certificate, and learns the verdict by reading. Nothing is sent, so that the
    // server closes with nothing unread (which would be a reset, not the alert).
    if (attacker.handshake()) {
      std::byte answer[1];
      EXPECT_EQ(attacker.read_some(answer), 0u) << "the server answered a peer it must refuse";
    }
    EXPECT_NE(attacker.error().find("alert"), std::string::npos) << attacker.error();
    EXPECT_TRUE(server_logs(std::string(kHandshakeFailed) + reason));
  }
};

TEST_P(TlsHandshakeRefusals, APeerWithoutACertificate) {
  start_server();
  expect_refused(std::nullopt, "peer did not return a certificate");
  play_honest_round();
}

TEST_P(TlsHandshakeRefusals, ACertificateSignedByAnotherCa) {
  start_server();
  expect_refused(pki_.untrusted_agency(),
                 "certificate verify failed (unable to get local issuer certificate)");
  play_honest_round();
}

TEST_P(TlsHandshakeRefusals, AnExpiredCertificateOfTheRoundsCa) {
  start_server();
  expect_refused(pki_.expired_agency(), "certificate verify failed (certificate has expired)");
  play_honest_round();
}

TEST_P(TlsHandshakeRefusals, APlainTextPeer) {
  start_server();
  const sys::UniqueFd plain = connect_to_loopback(cluster_.port());
  std::vector<std::byte> hello;
  protocol::encode(protocol::Hello{1}, hello);
  ASSERT_EQ(::send(plain.get(), hello.data(), hello.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(hello.size()));
  // Everything until the server closes: at most a TLS alert record, never a frame. The
  // server read only the first bytes, as a record's header; closing with the rest unread,
  // it resets the connection.
  std::vector<std::uint8_t> received;
  std::uint8_t chunk[512];
  ssize_t got = 0;
  while ((got = ::recv(plain.get(), chunk, sizeof chunk, 0)) > 0)
    received.insert(received.end(), chunk, chunk + got);
  EXPECT_TRUE(got == 0 || errno == ECONNRESET)
      << "the server did not close the connection: " << std::strerror(errno);
  if (!received.empty()) {
    EXPECT_EQ(received[0], 0x15) << "the server answered plain text with something else than an alert";
  }
  EXPECT_TRUE(server_logs(std::string(kHandshakeFailed) + "wrong version number"));
  play_honest_round();
}

TEST_P(TlsHandshakeRefusals, APeerThatSendsNothingIsDroppedAtTheHelloDeadline) {
  start_server({{"SERVER_HELLO_TIMEOUT", "500ms"}});
  // From before the connection: the server may take it up, and start its deadline,
  // before connect() has returned here.
  const auto connected = steady_clock::now();
  const sys::UniqueFd silent = connect_to_loopback(cluster_.port());
  char byte = 0;
  // Blocks until the server closes (bounded by kSslPatience).
  EXPECT_EQ(::recv(silent.get(), &byte, 1, 0), 0) << "the server did not close the connection";
  EXPECT_GE(steady_clock::now() - connected, kHelloTimeout);
  EXPECT_TRUE(server_logs(std::string(kHandshakeFailed) + "not done within its deadline of 500 ms"));
  play_honest_round();
}

TEST_P(TlsHandshakeRefusals, AClientHelloTrickledPastTheHelloDeadlineIsDroppedAtIt) {
  start_server({{"SERVER_HELLO_TIMEOUT", "500ms"}});
  const SslContext context(SslRole::kClient, pki_.agency(1), pki_.authority());
  const std::vector<std::byte> hello = client_hello(context.get());
  ASSERT_GT(hello.size(), 100u);
  const auto connected = steady_clock::now();
  const sys::UniqueFd slow = connect_to_loopback(cluster_.port());
  std::size_t sent = 0;
  bool closed = false;
  while (!closed && sent < hello.size()) {
    if (::send(slow.get(), &hello[sent], 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    ++sent;
    // Paces the bytes, one every 50 ms: far more activity than the idle timeout asks
    // for, far less than a handshake needs. The server's close ends the wait at once.
    pollfd readable{slow.get(), POLLIN, 0};
    if (::poll(&readable, 1, 50) == 1) {
      char byte = 0;
      closed = ::recv(slow.get(), &byte, 1, 0) <= 0;
    }
  }
  const auto elapsed = steady_clock::now() - connected;
  EXPECT_TRUE(closed) << "the whole ClientHello was sent, over " << sent << " bytes";
  EXPECT_LT(sent, hello.size());
  EXPECT_GE(elapsed, kHelloTimeout);
  EXPECT_TRUE(server_logs(std::string(kHandshakeFailed) + "not done within its deadline of 500 ms"));
  play_honest_round();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, TlsHandshakeRefusals, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
