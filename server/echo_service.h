#pragma once

#include <chrono>

#include "server/service.h"

namespace tp0::server {

// The echo server of exercises 1 to 4: each connection sends one line (up to a newline,
// at most 8 kB), which is logged and sent back unchanged. It shares nothing between
// connections. Once a line has begun, the rest of it must come, and its echo be taken,
// within `progress_timeout` (SERVER_FRAME_TIMEOUT).
class EchoService final : public Service {
 public:
  explicit EchoService(std::chrono::milliseconds progress_timeout) : progress_timeout_(progress_timeout) {}

  bool serve(net::Connection& connection, const Identified& identified,
             std::optional<std::chrono::milliseconds> budget) override;

 private:
  std::chrono::milliseconds progress_timeout_;
};

}  // namespace tp0::server
