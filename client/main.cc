#include <cstdio>
#include <exception>

#include "client/client.h"
#include "common/logging/logging.h"
#include "common/sys/signals.h"
#include "config/client_config.h"

int main() {
  using namespace tp0;
  try {
    const config::ClientConfig settings =
        config::load_client_config("config.yaml", config::process_environment());
    logging::init(settings.log_level);
    sys::signals::install();
    return client::run_client(settings);
  } catch (const std::exception& error) {  // a ConfigError among them
    std::fprintf(stderr, "client: %s\n", error.what());
    return 1;
  }
}
