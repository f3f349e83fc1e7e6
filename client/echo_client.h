#pragma once

#include <optional>

#include "common/net/connection.h"
#include "config/client_config.h"

namespace tp0::client {

// The echo loop: loop.amount times, connect, send "[CLIENT <id>] Message N°<n>\n", log the
// answer, disconnect and wait loop.period. Throws NetError, or ShutdownRequested on SIGTERM.
class EchoClient {
 public:
  explicit EchoClient(const config::ClientConfig& config) : config_(config) {}

  void run();

  // Closes the connection if one is open, logging it.
  void close();

 private:
  const config::ClientConfig& config_;
  std::optional<net::Connection> connection_;
};

}  // namespace tp0::client
