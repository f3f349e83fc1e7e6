#pragma once

#include "config/client_config.h"

namespace tp0::client {

// Runs the mode the configuration selects and returns the process exit code: 0 when the
// mode completed or SIGTERM/SIGINT ended it (after closing what was open), 1 on failure
// (including rows of the agency file that were not valid bets).
// REQUIRES: logging::init() and sys::signals::install() were called.
int run_client(const config::ClientConfig& config);

}  // namespace tp0::client
