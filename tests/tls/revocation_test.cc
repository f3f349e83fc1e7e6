// Revocation: a certificate on the CA's list (scripts/make-certs.sh --revoke) is refused,
// on a first connection and on one that offers the ticket of an earlier session; the list
// itself must be usable, or the server does not start.
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "common/tls/errors.h"
#include "common/tls/session.h"
#include "tests/tls/fixture.h"
#include "tests/tls/ssl_end.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kOtherAgency = kAgency + 1;

// What one connection of a client on `client` to a server on `server` came to.
struct Outcome {
  std::string refusal;  // what accept() threw; empty when it accepted the client
  bool resumed = false;
};

class Revocation : public TlsFixture {
 protected:
  // One connection; the client keeps the ticket it is given, as the project's client does.
  Outcome connect_once(const tls::Context& server, tls::Context& client) {
    Ends ends = server_connection_and_raw_client();
    SslEnd end(std::move(ends.client), client.get(), SslRole::kClient);
    end.offer(client.resumable_session());
    auto accepted = std::async(std::launch::async, [&]() -> std::string {
      try {
        tls::accept(ends.server, server);
        ends.server.write_all(bytes_of("ok"));
        return "";
      } catch (const tls::TlsError& error) {
        return error.what();
      }
    });
    // In TLS 1.3 the client ends its handshake before the server checks its certificate:
    // the answer (behind which comes the ticket) or the server's alert tells.
    if (end.handshake()) {
      std::byte answer[2];
      end.read_some(answer);
    }
    Outcome outcome{accepted.get(), end.resumed()};
    end.say_goodbye();
    return outcome;
  }

  tls::Context other_client_{tls::Context::Side::kClient, pki_.agency(kOtherAgency)};
};

TEST_F(Revocation, ARevokedCertificateIsRefusedAndTheOthersAreNot) {
  pki_.revoke(kAgency);
  const tls::Context server(tls::Context::Side::kServer, pki_.server_with_revocations());
  EXPECT_EQ(connect_once(server, other_client_).refusal, "");
  const Outcome revoked = connect_once(server, client_context_);
  EXPECT_NE(revoked.refusal.find("certificate revoked"), std::string::npos) << revoked.refusal;
}

// The server under test takes up tickets issued before the list named the certificate
// (the ticket keys of a server that had none): OpenSSL would resume such a session
// without looking at the certificate again.
TEST_F(Revocation, ARevokedCertificateIsRefusedWhenItsSessionIsOfferedForResumption) {
  ASSERT_EQ(connect_once(server_context_, client_context_).refusal, "");
  ASSERT_EQ(connect_once(server_context_, other_client_).refusal, "");
  ASSERT_NE(client_context_.resumable_session(), nullptr);
  pki_.revoke(kAgency);
  const tls::Context server(tls::Context::Side::kServer, pki_.server_with_revocations());
  unsigned char keys[80];
  ASSERT_EQ(SSL_CTX_get_tlsext_ticket_keys(server_context_.get(), keys, sizeof keys), 1);
  ASSERT_EQ(SSL_CTX_set_tlsext_ticket_keys(server.get(), keys, sizeof keys), 1);

  const Outcome honest = connect_once(server, other_client_);
  EXPECT_EQ(honest.refusal, "");
  EXPECT_TRUE(honest.resumed) << "the other agency's ticket is taken up: the test offers usable tickets";
  const Outcome revoked = connect_once(server, client_context_);
  EXPECT_FALSE(revoked.resumed);
  EXPECT_NE(revoked.refusal.find("certificate revoked"), std::string::npos) << revoked.refusal;
}

TEST_F(Revocation, AListThatIsNotOneStopsTheServerAtStartNamingIt) {
  tls::Credentials credentials = pki_.server();
  credentials.revocations = dir_.file("crl.pem");
  write_file(credentials.revocations, "-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n");
  try {
    const tls::Context server(tls::Context::Side::kServer, credentials);
    ADD_FAILURE() << "a malformed list was accepted";
  } catch (const tls::TlsError& error) {
    EXPECT_NE(std::string(error.what()).find("load the revocation list " + credentials.revocations + ": "),
              std::string::npos)
        << error.what();
  }
}

// A list signed by another CA would make every handshake fail ("unable to get certificate CRL").
TEST_F(Revocation, AListOfAnotherCaStopsTheServerAtStart) {
  pki_.revoke(kAgency);
  tls::Credentials credentials = pki_.server_with_revocations();
  credentials.authority = pki_.dir() + "/bad/other-ca/ca.crt";
  try {
    const tls::Context server(tls::Context::Side::kServer, credentials);
    ADD_FAILURE() << "a list of another CA was accepted";
  } catch (const tls::TlsError& error) {
    EXPECT_NE(std::string(error.what()).find("not signed by the CA"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace tp0::testing
