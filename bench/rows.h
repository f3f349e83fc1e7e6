#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/agency_files.h"
#include "bench/lottery_round.h"

namespace tp0::bench {

// One data set of the benchmark; `series` places it in the plot ("bets": 5 agencies and
// a growing number of bets; "agencies": 1,000,000 bets over a growing number of agencies).
struct DataSet {
  std::string name;
  std::uint32_t agencies = 0;
  std::size_t bets = 0;  // 0: the course's data set
  std::vector<std::string> series;
  std::vector<std::string> concurrencies{"sequential", "process"};
  // SERVER_DURABILITY settings measured, each beside the other for every concurrency.
  std::vector<std::string> durabilities{"process"};
  // More agencies than the server's default SERVER_MAX_CHILDREN, which it keeps: the
  // round must complete with fewer slots than agencies. Such a round gets 300 s (10,000
  // agencies with TLS took from half a minute to over two minutes on two cores, with the
  // machine's load: two handshakes and two forks each), and no floor, which would need a
  // thread and three descriptors per agency.
  bool many_agencies = false;
  // One tp0_load_generator process plays the agencies, too many to start a client each.
  bool load_generator = false;
  // Each row of the default durability is measured twice, with TLS off and on, in turns:
  // what mutual TLS costs. The other rows run with TLS off.
  bool tls_pair = false;
};

// One row of the table: the medians of its runs, and the run whose wall time is the
// median for the rest.
struct Row {
  const DataSet* set = nullptr;
  AgencyFiles files;
  std::string concurrency;
  std::string durability;
  bool tls = false;
  int runs = 0;
  double wall_ms = 0;
  double floor_ms = 0;  // 0: not measured
  double cpu_ms = 0;
  RoundResult round;
};

}  // namespace tp0::bench
