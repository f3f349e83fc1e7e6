#pragma once

#include <optional>
#include <string>

#include "client/server_link.h"
#include "common/net/connection.h"
#include "config/client_config.h"

namespace tp0::client {

// The echo loop: loop.amount times, connect, send "[CLIENT <id>] Message N°<n>\n", log the
// answer, disconnect and wait loop.period. Each wait for the server is bounded by
// server.timeout; a lost connection, a silent server among them, is retried, the message
// sent again on a new connection, within server.patience. Throws ServerGone once that
// runs out, or ShutdownRequested on SIGTERM.
class EchoClient {
 public:
  explicit EchoClient(const config::ClientConfig& config)
      : config_(config), reconnects_(kFirstReconnectPause, kLongestReconnectPause, config.server_patience) {}

  void run();

  // Closes the connection if one is open, logging it.
  void close();

 private:
  // One exchange of `message` and its answer, on a connection of its own.
  std::string exchange(const std::string& message);

  const config::ClientConfig& config_;
  net::Backoff reconnects_;
  std::optional<net::Connection> connection_;
};

}  // namespace tp0::client
