#pragma once

#include "config/server_config.h"

namespace tp0::server {

// Runs the server described by `config` until SIGTERM or SIGINT: listens, accepts and
// serves connections one at a time (sequential) or each in a forked child (process).
// On shutdown it closes the listener, terminates and reaps its children and releases
// the shared memory, logging each step. Returns the process exit code.
// REQUIRES: logging::init() and sys::signals::install() were called.
int run_server(const config::ServerConfig& config);

}  // namespace tp0::server
