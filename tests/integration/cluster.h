#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace tp0::testing {

inline constexpr std::chrono::seconds kStartTimeout{20};
inline constexpr std::chrono::seconds kRunTimeout{120};

// A server and its clients as real processes on 127.0.0.1, sharing one temporary
// directory (bets file, agency files, each program's output).
class Cluster {
 public:
  Cluster() = default;

  // Starts bin/server with `environment` on top of loopback defaults (port chosen by the
  // kernel, DEBUG logs, bets file in the directory) and waits until it listens. Called
  // again, it starts a new server in place of the first (which must have exited).
  Process& start_server(Environment environment);
  // Starts the server again, after the previous one ended, on the same files and port.
  Process& restart_server(Environment environment);

  // Starts bin/client number `id` against the server, with `environment` on top of
  // defaults (DEBUG logs).
  Process& start_client(std::uint32_t id, Environment environment);

  Process& server() { return *server_; }
  Process& client(std::uint32_t id) { return *clients_.at(id - 1); }
  std::uint16_t port() const { return port_; }
  const TempDir& dir() const { return dir_; }
  std::string bets_path() const { return dir_.file("bets.csv"); }

 private:
  TempDir dir_;
  std::unique_ptr<Process> server_;
  std::vector<std::unique_ptr<Process>> clients_;
  std::uint16_t port_ = 0;
  int server_starts_ = 0;
};

}  // namespace tp0::testing
