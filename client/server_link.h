#pragma once

#include <chrono>
#include <string>

#include "common/net/connection.h"

namespace tp0::client {

// Connects to `address` (host:port). While the server is not accepting yet — it may still
// be starting — it logs `action: connect | result: in_progress` and tries again with a
// growing pause, for at most `patience`. Throws NetError when that runs out, and
// ShutdownRequested on SIGTERM/SIGINT.
net::Connection connect_with_retry(const std::string& address, std::chrono::milliseconds patience);

}  // namespace tp0::client
