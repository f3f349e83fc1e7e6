// The life of a TLS connection around the round: the server ends an open conversation
// with close_notify when it stops, and closes a connection at its limit of children
// before the handshake, which the client takes for "busy" and tries again.
#include <gtest/gtest.h>

#include <csignal>

#include "common/protocol/messages.h"
#include "tests/integration/tls_round.h"

namespace tp0::testing {
namespace {

using TlsConnections = TlsRound;

TEST_P(TlsConnections, SigtermEndsAnOpenConversationWithCloseNotify) {
  Process& server = start_server();
  play_honest_round();
  SslEnd open = agency_peer(1);
  ASSERT_TRUE(open.send(protocol::Hello{1}));
  ASSERT_EQ(open.receive(), protocol::Message{protocol::Resume{kBets}});

  server.send_signal(SIGTERM);
  EXPECT_EQ(open.receive(), std::nullopt);
  EXPECT_TRUE(open.ended_by_close_notify()) << "the conversation was cut, not closed: " << open.error();
  ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
  EXPECT_EQ(server_lines("action: close_tls_session | result: success | ip: 127.0.0.1 | reason: shutdown"),
            1u)
      << server.output();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, TlsConnections, ::testing::Values("sequential", "process"));

using TlsChildLimit = TlsRound;

// SERVER_MAX_CHILDREN = 2: the waiting room and one conversation. While a peer holds that
// one, every other connection is closed before its handshake.
TEST_P(TlsChildLimit, AClientClosedBeforeItsHandshakeTriesAgain) {
  Process& server = start_server({{"SERVER_MAX_CHILDREN", "2"}});
  {
    SslEnd holder = agency_peer(1);
    ASSERT_TRUE(holder.send(protocol::Hello{1}));
    ASSERT_EQ(holder.receive(), protocol::Message{protocol::Resume{0}});
    start_honest_agencies();
    ASSERT_TRUE(server.wait_for_line("action: accept_connections | result: fail", kRunTimeout))
        << server.output();
    holder.say_goodbye();
  }
  expect_honest_round_completed();
  EXPECT_GE(server_lines("action: accept_connections | result: fail"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Concurrency, TlsChildLimit, ::testing::Values("process"));

}  // namespace
}  // namespace tp0::testing
