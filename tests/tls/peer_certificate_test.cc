// What the server and the client ask of the peer's certificate before verifying it, or
// beside the CA's signature: a chain of bounded size, and the purpose of its side.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <cstdio>
#include <future>
#include <memory>
#include <string>

#include "common/tls/errors.h"
#include "common/tls/session.h"
#include "tests/tls/fixture.h"
#include "tests/tls/ssl_end.h"

namespace tp0::testing {
namespace {

using PeerCertificate = TlsFixture;

// What tls::accept() threw for a client of the test's own on `client`; empty if it
// accepted it.
std::string refusal_of(const tls::Context& server, SSL_CTX* client) {
  LoopbackPair pair = make_loopback_pair();
  net::Connection connection(std::move(pair.server), "127.0.0.1");
  connection.set_idle_timeout(kPatience);
  SslEnd end(std::move(pair.client), client, SslRole::kClient);
  auto accepted = std::async(std::launch::async, [&]() -> std::string {
    try {
      tls::accept(connection, server);
      return "";
    } catch (const tls::TlsError& error) {
      return error.what();
    }
  });
  end.handshake();
  return accepted.get();
}

// OpenSSL's default limit (100 KiB) lets such a chain be read whole, then verified.
TEST_F(PeerCertificate, AClientChainOfNearly100KiBIsRefusedForItsSizeNotVerified) {
  SslContext client(SslRole::kClient, pki_.agency(kAgency), pki_.authority());
  std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(pki_.authority().c_str(), "r"), &std::fclose);
  ASSERT_TRUE(file);
  std::unique_ptr<X509, decltype(&X509_free)> authority(PEM_read_X509(file.get(), nullptr, nullptr, nullptr),
                                                        &X509_free);
  ASSERT_TRUE(authority);
  // The CA's certificate again and again behind the agency's, short of OpenSSL's limit.
  const int size = i2d_X509(authority.get(), nullptr);
  for (int chain = 0; chain + size + 3 < 99 * 1024; chain += size + 3) {
    ASSERT_EQ(SSL_CTX_add1_chain_cert(client.get(), authority.get()), 1);
  }
  const std::string refusal = refusal_of(server_context_, client.get());
  EXPECT_NE(refusal.find("excessive message size"), std::string::npos) << refusal;
  EXPECT_EQ(refusal.find("verify"), std::string::npos) << refusal;
}

TEST_F(PeerCertificate, TheServersCertificateCannotServeAsAClients) {
  SslContext client(SslRole::kClient, pki_.server(), pki_.authority());
  const std::string refusal = refusal_of(server_context_, client.get());
  EXPECT_NE(refusal.find("unsuitable certificate purpose"), std::string::npos) << refusal;
}

// Dialed by the name it carries (agency-8: no other), so that only its purpose is wrong.
TEST_F(PeerCertificate, AnAgencysCertificateCannotServeAsTheServers) {
  Ends ends = server_connection_and_raw_client();
  SslContext fake(SslRole::kServer, pki_.agency(kAgency + 1), pki_.authority());
  SslEnd server(std::move(ends.client), fake.get(), SslRole::kServer);
  auto served = std::async(std::launch::async, [&] { return server.handshake(); });
  try {
    tls::connect(ends.server, client_context_, "agency-8");
    ADD_FAILURE() << "the client took an agency's certificate for the server's";
  } catch (const tls::TlsError& error) {
    EXPECT_NE(std::string(error.what()).find("unsuitable certificate purpose"), std::string::npos)
        << error.what();
  }
  served.get();
}

}  // namespace
}  // namespace tp0::testing
