// The handshakes of common/tls over loopback TCP: who is accepted, who is refused, and
// what the refusal says.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/net/errors.h"
#include "common/tls/errors.h"
#include "common/tls/session.h"
#include "tests/tls/fixture.h"
#include "tests/tls/ssl_end.h"

namespace tp0::testing {
namespace {

using TlsHandshake = TlsFixture;

template <typename Case>
std::string test_name_of(const ::testing::TestParamInfo<Case>& test) {
  return test.param.test_name;
}

TEST_F(TlsHandshake, BothSidesProveWhoTheyAreAndTheClientsAgencyComesFromItsCertificate) {
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(server, server_context_); });
  tls::connect(client, client_context_, "127.0.0.1");
  EXPECT_EQ(accepted.get(), kAgency);

  // What crosses is a TLS record (application data, 0x17, then the record version 3,3 that
  // TLS 1.3 keeps from 1.2), not the bytes, and the other end reads the bytes out of it.
  client.write_all(bytes_of("ping"));
  EXPECT_EQ(wire_bytes(server, 3, MSG_PEEK), "\x17\x03\x03");
  EXPECT_EQ(read_text(server, 4), "ping");
  server.write_all(bytes_of("pong"));
  EXPECT_EQ(read_text(client, 4), "pong");
}

// The server's certificate names DNS:server, DNS:localhost and IP:127.0.0.1.
class ServerNames : public TlsFixture, public ::testing::WithParamInterface<const char*> {};

TEST_P(ServerNames, EachNameOfTheServersCertificateIsAccepted) {
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(server, server_context_); });
  EXPECT_NO_THROW(tls::connect(client, client_context_, GetParam()));
  EXPECT_EQ(accepted.get(), kAgency);
}

INSTANTIATE_TEST_SUITE_P(Dialed, ServerNames, ::testing::Values("127.0.0.1", "localhost", "server"));

struct WrongName {
  const char* dialed;
  const char* verdict;
};

// How gtest names the cases in test lists (instead of their bytes).
void PrintTo(const WrongName& wrong, std::ostream* out) { *out << wrong.dialed; }

class NotTheServerDialed : public TlsFixture, public ::testing::WithParamInterface<WrongName> {};

TEST_P(NotTheServerDialed, TheClientRefusesACertificateThatDoesNotNameWhatItDialed) {
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(server, server_context_); });
  try {
    tls::connect(client, client_context_, GetParam().dialed);
    ADD_FAILURE() << "the client accepted a server certificate that does not name " << GetParam().dialed;
  } catch (const tls::TlsError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("TLS handshake with 127.0.0.1: certificate verify failed (" +
                        std::string(GetParam().verdict) + ")"),
              std::string::npos)
        << error.what();
  }
  client.close_quietly();
  // The server never gets a client it may serve.
  EXPECT_THROW(accepted.get(), std::exception);
}

INSTANTIATE_TEST_SUITE_P(Dialed, NotTheServerDialed,
                         ::testing::Values(WrongName{"127.0.0.2", "IP address mismatch"},
                                           WrongName{"::1", "IP address mismatch"},
                                           WrongName{"elsewhere.invalid", "hostname mismatch"},
                                           WrongName{"server.example", "hostname mismatch"}));

struct FakeServer {
  const char* test_name;
  const char* name;
  tls::Credentials (TestPki::*credentials)() const;
  const char* verdict;
};

void PrintTo(const FakeServer& fake, std::ostream* out) { *out << fake.name; }

class FakeServers : public TlsFixture, public ::testing::WithParamInterface<FakeServer> {};

TEST_P(FakeServers, TheClientRefusesThemBeforeSendingAnything) {
  const tls::Context fake(tls::Context::Side::kServer, (pki_.*GetParam().credentials)());
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(server, fake); });
  try {
    tls::connect(client, client_context_, "127.0.0.1");
    ADD_FAILURE() << "the client accepted " << GetParam().name;
  } catch (const tls::TlsError& error) {
    EXPECT_NE(
        std::string(error.what()).find("certificate verify failed (" + std::string(GetParam().verdict) + ")"),
        std::string::npos)
        << error.what();
  }
  client.close_quietly();
  EXPECT_THROW(accepted.get(), std::exception);
}

INSTANTIATE_TEST_SUITE_P(Certificates, FakeServers,
                         ::testing::Values(FakeServer{"OtherCa", "a server signed by another CA",
                                                      &TestPki::untrusted_server,
                                                      "unable to get local issuer certificate"},
                                           FakeServer{"WrongName", "a server named elsewhere.invalid",
                                                      &TestPki::wrong_name_server, "IP address mismatch"}),
                         test_name_of<FakeServer>);

struct RefusedClient {
  const char* test_name;
  const char* name;
  // nullptr: no certificate at all.
  tls::Credentials (TestPki::*credentials)() const;
  const char* reason;
};

void PrintTo(const RefusedClient& refused, std::ostream* out) { *out << refused.name; }

class RefusedClients : public TlsFixture, public ::testing::WithParamInterface<RefusedClient> {};

TEST_P(RefusedClients, TheServerRefusesThemNamingThePeerAndOpenSslsReason) {
  std::optional<tls::Credentials> shown;
  if (GetParam().credentials != nullptr) shown = (pki_.*GetParam().credentials)();
  const SslContext context(SslRole::kClient, shown, pki_.authority());
  Ends ends = server_connection_and_raw_client();
  auto accepted = std::async(std::launch::async, [&] { return tls::accept(ends.server, server_context_); });
  SslEnd client(std::move(ends.client), context.get(), SslRole::kClient);
  // TLS 1.3: the client's side of the handshake is over before the server has checked
  // its certificate; the refusal comes as an alert instead of the first answer.
  if (client.handshake()) {
    std::byte answer[1];
    EXPECT_EQ(client.read_some(answer), 0u);
  }
  EXPECT_FALSE(client.ended_by_close_notify());
  EXPECT_NE(client.error().find("alert"), std::string::npos) << client.error();
  try {
    accepted.get();
    ADD_FAILURE() << "the server accepted " << GetParam().name;
  } catch (const tls::TlsError& error) {
    EXPECT_NE(
        std::string(error.what()).find("TLS handshake with 127.0.0.1: " + std::string(GetParam().reason)),
        std::string::npos)
        << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Certificates, RefusedClients,
    ::testing::Values(RefusedClient{"NoCertificate", "a client without a certificate", nullptr,
                                    "peer did not return a certificate"},
                      RefusedClient{"OtherCa", "a certificate of another CA", &TestPki::untrusted_agency,
                                    "certificate verify failed (unable to get local issuer certificate)"},
                      RefusedClient{"Expired", "an expired certificate", &TestPki::expired_agency,
                                    "certificate verify failed (certificate has expired)"},
                      // Signed by the CA, but for a server (serverAuth only), and naming no agency.
                      RefusedClient{"ServersCertificate", "the server's certificate", &TestPki::server,
                                    "certificate verify failed (unsuitable certificate purpose)"}),
    test_name_of<RefusedClient>);

// A server at its limit of connections closes a new one before its handshake: the client
// must see a broken connection (worth trying again), not a refusal.
TEST_F(TlsHandshake, APeerThatClosesDuringTheHandshakeIsALostConnectionForTheClient) {
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  server.close();
  EXPECT_THROW(tls::connect(client, client_context_, "127.0.0.1"), net::NetError);
}

TEST_F(TlsHandshake, APeerThatClosesDuringTheHandshakeIsALostConnectionForTheServer) {
  Connections ends = connection_pair();
  net::Connection& server = ends.server;
  net::Connection& client = ends.client;
  client.close();
  EXPECT_THROW(tls::accept(server, server_context_), net::NetError);
}

// A client that gave up while its connection waited to be accepted: its ClientHello and
// its FIN are both there when the server comes to it.
TEST_F(TlsHandshake, AClientThatLeftBeforeItsTurnGetsNoHandshakeAndNoAnswer) {
  Ends ends = server_connection_and_raw_client();
  const std::vector<std::byte> hello = client_hello(client_context_.get());
  ASSERT_FALSE(hello.empty());
  ASSERT_EQ(::send(ends.client.get(), hello.data(), hello.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(hello.size()));
  ASSERT_EQ(::shutdown(ends.client.get(), SHUT_WR), 0);
  pollfd arrived{ends.server.fd(), POLLRDHUP, 0};
  ASSERT_EQ(::poll(&arrived, 1, static_cast<int>(std::chrono::milliseconds(kPatience).count())), 1);

  try {
    tls::accept(ends.server, server_context_);
    ADD_FAILURE() << "a handshake with a client that had left succeeded";
  } catch (const net::PeerClosed& error) {
    EXPECT_STREQ(error.what(), "TLS handshake with 127.0.0.1: the peer left before its turn");
  }
  ends.server.close();
  // Answered, the client would find a ServerHello before the end (a reset: the server
  // closed with the ClientHello unread).
  char byte = 0;
  EXPECT_LE(::recv(ends.client.get(), &byte, 1, 0), 0);
}

TEST_F(TlsHandshake, PlainTextIsRefusedByTheServer) {
  Ends ends = server_connection_and_raw_client();
  // A Hello frame for agency 7, in clear.
  const unsigned char hello[] = {0, 0, 0, 5, 1, 0, 0, 0, 7};
  ASSERT_EQ(::send(ends.client.get(), hello, sizeof hello, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof hello));
  try {
    tls::accept(ends.server, server_context_);
    ADD_FAILURE() << "the server accepted plain text";
  } catch (const tls::TlsError& error) {
    EXPECT_NE(std::string(error.what()).find("TLS handshake with 127.0.0.1: "), std::string::npos)
        << error.what();
  }
}

TEST_F(TlsHandshake, AHandshakeNotDoneWithinTheDeadlineIsAnIdleTimeout) {
  Ends ends = server_connection_and_raw_client();
  ends.server.set_deadline(std::chrono::milliseconds(200));
  const auto started = std::chrono::steady_clock::now();
  try {
    tls::accept(ends.server, server_context_);
    ADD_FAILURE() << "a handshake with a silent peer ended";
  } catch (const net::IdleTimeout& error) {
    EXPECT_NE(std::string(error.what())
                  .find("TLS handshake with 127.0.0.1: not done within its deadline of 200 ms"),
              std::string::npos)
        << error.what();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace tp0::testing
