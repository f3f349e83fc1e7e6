#pragma once

#include "server/service.h"

namespace tp0::server {

// The echo server of exercises 1 to 4: each connection sends one line (up to a newline,
// at most 8 kB), which is logged and sent back unchanged. It shares nothing between
// connections.
class EchoService final : public Service {
 public:
  void start(ChildProcesses&) override {}
  bool serve(net::Connection& connection, const Identified& identified) override;
  void refuse(net::Connection&) override {}
  void shut_down() override {}
};

}  // namespace tp0::server
