// Session resumption: a client that reconnects (after WaitForDraw, after a lost
// connection) offers the ticket of its last session, and the server takes it up without
// a full handshake, still knowing the agency of the certificate behind it.
#include <gtest/gtest.h>

#include <future>

#include "common/tls/session.h"
#include "tests/tls/fixture.h"
#include "tests/tls/ssl_end.h"

namespace tp0::testing {
namespace {

using Resumption = TlsFixture;

// The client under test against a server end of the test's own on the server's context,
// which says whether each handshake resumed.
TEST_F(Resumption, TheClientOffersItsLastSessionAndTheServerResumesIt) {
  bool resumed[2] = {true, false};
  for (bool& each : resumed) {
    LoopbackPair pair = make_loopback_pair();
    SslEnd server(std::move(pair.server), server_context_.get(), SslRole::kServer);
    net::Connection client = connection_of(std::move(pair.client));
    auto served = std::async(std::launch::async, [&] {
      if (!server.handshake()) return false;
      // A first answer, behind which the client reads the server's session tickets.
      const std::string answer = "ok";
      return server.write(bytes_of(answer));
    });
    tls::connect(client, client_context_, "127.0.0.1");
    EXPECT_EQ(read_text(client, 2), "ok");
    ASSERT_TRUE(served.get()) << server.error();
    each = server.resumed();
    EXPECT_NE(client_context_.resumable_session(), nullptr);
    // As the client ends every conversation: OpenSSL keeps a session for resumption only
    // when its connection ended with close_notify.
    client.close();
  }
  EXPECT_FALSE(resumed[0]) << "the first connection had no session to resume";
  EXPECT_TRUE(resumed[1]) << "the second connection did a full handshake";
}

// The server under test against a client end of the test's own on agency 7's context.
TEST_F(Resumption, AResumedSessionStillNamesTheAgencyOfItsCertificate) {
  for (int connection = 0; connection < 2; ++connection) {
    Ends ends = server_connection_and_raw_client();
    SslEnd client(std::move(ends.client), client_context_.get(), SslRole::kClient);
    client.offer(client_context_.resumable_session());
    auto accepted = std::async(std::launch::async, [&] {
      const std::uint32_t agency = tls::accept(ends.server, server_context_);
      ends.server.write_all(bytes_of("ok"));
      return agency;
    });
    ASSERT_TRUE(client.handshake()) << client.error();
    std::byte answer[2];
    EXPECT_EQ(client.read_some(answer), 2u) << client.error();
    EXPECT_EQ(accepted.get(), kAgency);
    EXPECT_EQ(client.resumed(), connection == 1) << "connection " << connection;
    client.say_goodbye();
  }
}

}  // namespace
}  // namespace tp0::testing
