#pragma once

#include "common/net/connection.h"

namespace tp0::server {

// Serves one echo conversation: reads one line (up to a newline, at most 8 kB), logs it
// and sends it back unchanged. Throws NetError or ShutdownRequested from the connection.
void serve_echo(net::Connection& connection);

}  // namespace tp0::server
