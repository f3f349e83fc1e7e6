#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/tls/credentials.h"
#include "tests/support/process.h"
#include "tests/tls/test_pki.h"

namespace tp0::testing {

inline constexpr std::chrono::seconds kStartTimeout{20};
inline constexpr std::chrono::seconds kRunTimeout{120};

// A server and its clients as real processes on 127.0.0.1, sharing one temporary
// directory (bets file, agency files, each program's output, the round's certificates).
//
// They speak TLS as they do by default: the cluster makes the certificates of a round
// (scripts/make-certs.sh's layout, in dir()/tls) when a program first needs them, and
// points the programs at them, unless a test's environment names other files or turns
// TLS off (SERVER_TLS=off, CLI_TLS=off) or the mode is echo, which is plain text.
class Cluster {
 public:
  Cluster() = default;

  // Starts bin/server with `environment` on top of loopback defaults (port chosen by the
  // kernel, DEBUG logs, bets file in the directory, the server's certificate) and waits
  // until it listens. Makes the certificates of the round's agencies (1 to
  // SERVER_AGENCIES, 5 by default) at once, the clients and peers of most tests. Called
  // again, it starts a new server in place of the first (which must have exited).
  Process& start_server(Environment environment);
  // Starts the server again, after the previous one ended, on the same files and port.
  Process& restart_server(Environment environment);

  // Starts bin/client number `id` against the server, with client_environment(id, environment).
  Process& start_client(std::uint32_t id, Environment environment);
  // What start_client runs client `id` with: `environment` on top of the server's address,
  // DEBUG logs and, unless it sets them, says CLI_TLS=off or CLI_MODE=echo, the files of
  // the agency's certificate. For a test that runs a client of its own beside the others.
  Environment client_environment(std::uint32_t id, Environment environment);

  // Whether the server last started speaks TLS: it does unless its environment said
  // SERVER_TLS=off or SERVER_MODE=echo.
  bool tls() const { return tls_; }
  // The folder of agency `id`'s credentials (agency.crt, agency.key, ca.crt), made on first
  // use. Any 32-bit id, 0 included: a test may claim to be an agency outside the round.
  // Safe to call from several threads.
  std::string agency_folder(std::uint32_t id);
  // The folder of the server's credentials (server.crt, server.key, ca.crt), made on first use.
  std::string server_folder();

  Process& server() { return *server_; }
  Process& client(std::uint32_t id) { return *clients_.at(id - 1); }
  std::uint16_t port() const { return port_; }
  const TempDir& dir() const { return dir_; }
  std::string bets_path() const { return dir_.file("bets.csv"); }

 private:
  // Makes the certificates of the server and of those of `agencies` not made yet, in one run.
  void make_certificates_for(const std::vector<std::uint32_t>& agencies);

  TempDir dir_;
  std::unique_ptr<Process> server_;
  std::vector<std::unique_ptr<Process>> clients_;
  std::uint16_t port_ = 0;
  int server_starts_ = 0;
  bool tls_ = true;
  std::mutex certificates_mutex_;  // over made_ and the making
  bool server_made_ = false;
  std::set<std::uint32_t> made_;  // the agencies whose folders exist
};

}  // namespace tp0::testing
