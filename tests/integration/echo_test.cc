#include <gtest/gtest.h>

#include <csignal>

#include "tests/integration/cluster.h"

namespace tp0::testing {
namespace {

class EchoIntegration : public ::testing::TestWithParam<const char*> {};

TEST_P(EchoIntegration, EveryClientGetsEveryMessageBack) {
  Cluster cluster;
  // Echo connections never say who they are, so they stay strangers, counted per network
  // until their child is reaped: the clients, all on 127.0.0.1 and reconnecting for each
  // message, may briefly hold more than the default that one network may, and one more
  // would displace the oldest, mid-echo.
  cluster.start_server({{"SERVER_MODE", "echo"},
                        {"SERVER_CONCURRENCY", GetParam()},
                        {"SERVER_MAX_INTRODUCTIONS_PER_NETWORK", "32"}});
  constexpr int kClients = 3;
  constexpr int kMessages = 4;
  for (std::uint32_t id = 1; id <= kClients; ++id) {
    cluster.start_client(
        id,
        {{"CLI_MODE", "echo"}, {"CLI_LOOP_AMOUNT", std::to_string(kMessages)}, {"CLI_LOOP_PERIOD", "10ms"}});
  }
  for (std::uint32_t id = 1; id <= kClients; ++id) {
    auto& client = cluster.client(id);
    ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
    const std::string tag = "[CLIENT " + std::to_string(id) + "] Message N°";
    for (int n = 1; n <= kMessages; ++n) {
      const std::string message = tag + std::to_string(n);
      EXPECT_EQ(client
                    .lines_containing("action: receive_message | result: success | client_id: " +
                                      std::to_string(id) + " | msg: " + message)
                    .size(),
                1u)
          << client.output();
      EXPECT_EQ(cluster.server().lines_containing("| msg: " + message).size(), 1u);
    }
    EXPECT_EQ(
        client.lines_containing("action: loop_finished | result: success | client_id: " + std::to_string(id))
            .size(),
        1u);
    EXPECT_TRUE(client.lines_containing("result: fail").empty()) << client.output();
  }
  cluster.server().send_signal(SIGTERM);
  EXPECT_EQ(cluster.server().wait_exit(kRunTimeout), 0);
  EXPECT_TRUE(cluster.server().lines_containing("result: fail").empty()) << cluster.server().output();
}

TEST_P(EchoIntegration, ConfigLinesPrintTheEffectiveSettings) {
  Cluster cluster;
  auto& server = cluster.start_server(
      {{"SERVER_MODE", "echo"}, {"SERVER_CONCURRENCY", GetParam()}, {"SERVER_LISTEN_BACKLOG", "8"}});
  EXPECT_EQ(server
                .lines_containing("action: config | result: success | port: 0 | listen_backlog: 8 | "
                                  "logging_level: DEBUG")
                .size(),
            1u)
      << server.output();
  auto& client =
      cluster.start_client(1, {{"CLI_MODE", "echo"}, {"CLI_LOOP_AMOUNT", "1"}, {"CLI_LOOP_PERIOD", "100ms"}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  EXPECT_EQ(client
                .lines_containing("INFO     action: config | result: success | client_id: 1 | "
                                  "server_address: 127.0.0.1:" +
                                  std::to_string(cluster.port()) +
                                  " | loop_amount: 1 | loop_period: 100ms | log_level: DEBUG")
                .size(),
            1u)
      << client.output();
}

TEST_P(EchoIntegration, ClientStartedBeforeTheServerWaitsForIt) {
  // The port is learnt from a first server, which is then stopped so nothing listens there.
  Cluster probe;
  probe.start_server({{"SERVER_MODE", "echo"}});
  const std::string port = std::to_string(probe.port());
  probe.server().send_signal(SIGTERM);
  ASSERT_EQ(probe.server().wait_exit(kRunTimeout), 0);

  Cluster cluster;
  auto& client = cluster.start_client(1, {{"CLI_MODE", "echo"},
                                          {"CLI_LOOP_AMOUNT", "2"},
                                          {"CLI_LOOP_PERIOD", "10ms"},
                                          {"CLI_SERVER_ADDRESS", "127.0.0.1:" + port}});
  ASSERT_TRUE(client.wait_for_line("action: connect | result: in_progress", kStartTimeout))
      << client.output();
  cluster.start_server({{"SERVER_MODE", "echo"}, {"SERVER_CONCURRENCY", GetParam()}, {"SERVER_PORT", port}});
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  EXPECT_EQ(client.lines_containing("action: loop_finished | result: success").size(), 1u);
  EXPECT_TRUE(client.lines_containing("result: fail").empty()) << client.output();
}

TEST_P(EchoIntegration, SigtermEndsAClientBetweenMessagesAndAnIdleServerWithCodeZero) {
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_MODE", "echo"}, {"SERVER_CONCURRENCY", GetParam()}});
  auto& client = cluster.start_client(
      1, {{"CLI_MODE", "echo"}, {"CLI_LOOP_AMOUNT", "500"}, {"CLI_LOOP_PERIOD", "150ms"}});
  ASSERT_TRUE(client.wait_for_lines("action: receive_message | result: success", 3, kRunTimeout))
      << client.output();
  client.send_signal(SIGTERM);
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
  EXPECT_EQ(client.lines_containing("action: shutdown | result: success").size(), 1u) << client.output();
  EXPECT_TRUE(client.lines_containing("loop_finished").empty());

  // The server is now blocked in accept with no client at all.
  ASSERT_TRUE(server.wait_for_lines("action: accept_connections | result: in_progress", 4, kRunTimeout));
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
  for (const char* step : {"close_listener", "terminate_children", "shutdown"}) {
    EXPECT_EQ(server.lines_containing(std::string("action: ") + step + " | result: success").size(), 1u)
        << step << "\n"
        << server.output();
  }
  EXPECT_TRUE(server.lines_containing("release_shared_memory").empty())
      << "echo made the lottery's shared memory";
  EXPECT_TRUE(server.lines_containing("result: fail").empty()) << server.output();
}

INSTANTIATE_TEST_SUITE_P(Concurrency, EchoIntegration, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
