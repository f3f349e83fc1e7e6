#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace tp0::bench {

// The load generator failed: an agency's conversation went wrong (what() names the
// agency and the answer), or the round did not complete in time.
class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadSettings {
  std::string host;
  std::string port;
  std::string data_dir;  // agency K's bets are <data_dir>/agency-K.csv, as generated
  std::uint32_t agencies = 0;
  std::size_t workers = 0;          // conversations in progress at once
  std::chrono::seconds timeout{0};  // for the whole round
  // The certificates (scripts/make-certs.sh's layout) for mutual TLS; empty: plain text.
  std::string tls_dir;
};

struct LoadResult {
  std::chrono::microseconds wall{0};       // from the first connection to the last winners answer
  std::chrono::microseconds betting{0};    // from the first connection to the last Finished's Ack
  std::int64_t first_connect_unix_us = 0;  // the wall clock at those two moments
  std::int64_t last_winners_unix_us = 0;
  std::size_t bets = 0;
  std::size_t batches = 0;
  std::chrono::microseconds mean_round_trip{0};  // from a Batch sent to its Ack
  std::size_t winners = 0;
  std::size_t busy_answers = 0;       // connections refused busy, each tried again
  std::size_t wait_answers = 0;       // WinnersQuery answered WaitForDraw
  std::size_t not_ready_answers = 0;  // WinnersQuery answered NotReady, each asked again
  std::size_t full_handshakes = 0;    // TLS only
  std::size_t resumed_handshakes = 0;
  // The CPU spent reading the agencies' certificates and keys before the first
  // connection: bin/client processes would spend it on their own machines.
  std::chrono::microseconds setup_cpu{0};
};

// Plays agencies 1..settings.agencies against a lottery server, as many bin/client
// processes would, from one process: each agency connects (with TLS, as itself), sends
// Hello, one Batch of the bets in its file, Finished and WinnersQuery (see README
// "Protocol"), and its winners are checked against the winning bets of its file.
// `workers` threads run the conversations, one agency after another. An agency answered
// WaitForDraw (a process server before the draw) ends its TLS session, leaves its bare
// connection to a collector that waits for all of them together until the server closes
// each (the draw is held), then asks again on a new connection, resuming its TLS session;
// one answered NotReady (a sequential server) asks again later on a new connection.
// Throws LoadError, and what reading an agency file or its certificates throws.
LoadResult drive_agencies(const LoadSettings& settings);

}  // namespace tp0::bench
