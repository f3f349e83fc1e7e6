#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/net/backoff.h"
#include "common/net/connection.h"
#include "common/net/errors.h"
#include "config/client_config.h"

namespace tp0::client {

// Pauses for reconnecting: from 50 ms to 1 s.
inline constexpr std::chrono::milliseconds kFirstReconnectPause{50};
inline constexpr std::chrono::milliseconds kLongestReconnectPause{1000};

// server.timeout as the milliseconds a connection's waits take.
std::chrono::milliseconds reply_timeout(const config::ClientConfig& config);

// Connects to server.address, each attempt within server.timeout, and gives the connection
// that idle timeout: a server that lets any wait pass it is a lost connection. While the
// server is not accepting yet — it may still be starting — logs `action: connect | result:
// in_progress` and tries again after `backoff`'s pause. Throws NetError once `backoff`
// gives up, and ShutdownRequested on SIGTERM/SIGINT.
net::Connection connect_with_retry(const config::ClientConfig& config, net::Backoff& backoff);

// The server asked the client to start over on a new connection (a batch out of place:
// another connection of the agency moved its stream), or could not store: worth retrying,
// as a lost connection is.
class StartOver : public net::NetError {
 public:
  using net::NetError::NetError;
};

// The client stopped trying to reach the server: server.patience ran out.
class ServerGone : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs `attempt` again, on a new connection, each time it throws NetError (the connection
// broke, the server let server.timeout pass, or it asked to StartOver), after `forget` has
// dropped what the broken connection left, logging `action: connect | result: in_progress`
// and pausing as `backoff` says. Throws ServerGone, naming server.patience and server.timeout,
// once `backoff` gives up.
void with_reconnects(const config::ClientConfig& config, net::Backoff& backoff,
                     const std::function<void()>& attempt, const std::function<void()>& forget);

}  // namespace tp0::client
