#include "client/server_link.h"

#include "common/logging/logging.h"
#include "common/net/address.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "config/duration.h"

namespace tp0::client {

std::chrono::milliseconds reply_timeout(const config::ClientConfig& config) {
  return std::chrono::ceil<std::chrono::milliseconds>(config.server_timeout);
}

net::Connection connect_with_retry(const config::ClientConfig& config, net::Backoff& backoff) {
  const net::HostPort server = net::split_host_port(config.server_address);
  while (true) {
    try {
      net::Connection connection = net::connect_to(server.host, server.port, reply_timeout(config));
      connection.set_idle_timeout(reply_timeout(config));
      return connection;
    } catch (const net::NetError& error) {
      if (!backoff.another_attempt()) throw;
      logging::info(logging::Event("connect", logging::Result::kInProgress)
                        .with("server_address", config.server_address)
                        .with("error", error.what()));
    }
    backoff.wait();
  }
}

void with_reconnects(const config::ClientConfig& config, net::Backoff& backoff,
                     const std::function<void()>& attempt, const std::function<void()>& forget) {
  while (true) {
    try {
      attempt();
      return;
    } catch (const net::NetError& lost) {
      forget();
      if (!backoff.another_attempt()) {
        throw ServerGone(
            "no working connection to " + config.server_address + " for " +
            config::format_duration(config.server_patience) + " (server.patience; each wait within " +
            config::format_duration(config.server_timeout) + ", server.timeout): " + lost.what());
      }
      logging::info(logging::Event("connect", logging::Result::kInProgress)
                        .with("server_address", config.server_address)
                        .with("error", std::string("connection lost, resuming: ") + lost.what()));
    }
    backoff.wait();
  }
}

}  // namespace tp0::client
