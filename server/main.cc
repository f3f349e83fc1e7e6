#include <cstdio>
#include <exception>

#include "common/logging/logging.h"
#include "common/sys/signals.h"
#include "config/server_config.h"
#include "server/server.h"

int main() {
  using namespace tp0;
  config::ServerConfig settings;
  try {
    settings = config::load_server_config("config.ini", config::process_environment());
  } catch (const config::ConfigError& error) {
    std::fprintf(stderr, "server: %s\n", error.what());
    return 1;
  }
  try {
    logging::init(settings.logging_level);
    sys::signals::install();
    logging::debug(config::config_line(settings));
    return server::run_server(settings);
  } catch (const std::exception& error) {
    logging::error(logging::Event("server", logging::Result::kFail).with("error", error.what()));
    return 1;
  }
}
