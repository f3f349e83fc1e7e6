#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "bench/agency_files.h"
#include "bench/tree_rss.h"

namespace tp0::bench {

struct Programs {
  std::string server;
  std::string client;
  std::string load_generator;
};

struct RoundSettings {
  std::string concurrency;             // sequential or process
  std::string durability = "process";  // SERVER_DURABILITY: process or machine
  // false: a listen backlog and a child limit above the number of agencies, since every
  // client connects at once and neither a full accept queue nor a busy answer should be
  // what is measured. true: the backlog alone is raised, and the server keeps its
  // default SERVER_MAX_CHILDREN, fewer than the agencies: the round has to complete anyway.
  bool default_child_limit = false;
  std::chrono::seconds timeout{600};  // a round not done by then fails
  // Mutual TLS with the certificates in this folder (scripts/make-certs.sh's layout, for
  // every agency of the round); empty: SERVER_TLS=off and CLI_TLS=off.
  std::string tls_dir;
};

// What one round of the real system measured.
struct RoundResult {
  // From the first client's first connection to the last client's winners answer, as
  // the clients' lottery_summary lines report them (wall clock, microseconds).
  std::chrono::microseconds wall{0};
  std::size_t batches = 0;
  std::chrono::microseconds mean_round_trip{0};  // over every batch of every client
  long server_peak_rss_kib = 0;                  // the largest of the server and the children it reaped
  TreeMemory server_memory;                      // the sum over the server and its children, and parts of it
  long client_peak_rss_kib = 0;                  // the largest client
  // User and system CPU of the server (with its children) and of every client, from
  // their start to their exit: all the work the round cost, whatever the cores.
  std::chrono::microseconds cpu{0};
  // Connections the server accepted and served (each a TLS handshake when on), and
  // those it refused at its child limit.
  std::size_t connections = 0;
  std::size_t refused = 0;
  // From the server's sorteo line to the last client's winners answer.
  std::chrono::microseconds draw_to_last_winners{0};
  // tp0_load_generator rounds only: its handshakes, whole and resumed.
  std::size_t full_handshakes = 0;
  std::size_t resumed_handshakes = 0;
};

// Runs one lottery round on 127.0.0.1: a server in `settings.concurrency` and one client
// per agency file, all started at once, in a fresh folder under `scratch`. Checks that
// every client exited 0 with its agency's number of winners and that the bets file holds
// every bet. Throws std::runtime_error with the programs' output when anything fails.
RoundResult run_round(const Programs& programs, const AgencyFiles& files, const RoundSettings& settings,
                      const std::string& scratch);

// The same round with every agency played by one tp0_load_generator process (files
// named agency-K.csv in one folder, as generated): the clients' figures are the
// generator's, which checks each agency's winners itself. Its CPU counts from the
// first connection: the certificates it reads before, each client's own start up, are
// left out.
RoundResult run_generated_round(const Programs& programs, const AgencyFiles& files,
                                const RoundSettings& settings, const std::string& scratch);

}  // namespace tp0::bench
