#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/tls/credentials.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/tls_peer.h"
#include "tests/tls/test_pki.h"

namespace tp0::testing {

// The round the TLS tests defend: three agencies with their own certificates, in the
// concurrency setting of the test's parameter. Certificates are made for agency 4 too,
// signed by the round's CA though not a member. Each test plays an attacker of its own,
// then (or around it) the honest round, which must complete as if no attacker had been
// there.
class TlsRound : public ::testing::TestWithParam<const char*> {
 protected:
  static constexpr std::uint32_t kAgencies = 3;
  static constexpr std::uint32_t kOutsider = 4;
  static constexpr std::size_t kBets = 120;

  TlsRound();

  // Each agency its own count, so that winners told to the wrong agency would show.
  static std::size_t winners_of(std::uint32_t agency) { return agency + 1; }

  bool sequential() const { return std::string(GetParam()) == "sequential"; }

  // The server, with the round's certificates given explicitly, `environment` on top.
  Process& start_server(Environment environment = {});

  // A peer showing `identity` (nullopt: none), its handshake not begun.
  SslEnd peer(const std::optional<tls::Credentials>& identity) const;
  // A peer showing agency `agency`'s certificate, its handshake done. Throws if refused.
  SslEnd agency_peer(std::uint32_t agency) const;

  // Every agency's real client, each with its own certificate, started together; then
  // checks that each exited 0 having stored all its bets and learned exactly its own
  // winners, that the draw was held once, after every batch, and that the server still
  // runs.
  void play_honest_round() {
    start_honest_agencies();
    expect_honest_round_completed();
  }
  // The two halves of it, for a test that acts while the clients run.
  void start_honest_agencies();
  void expect_honest_round_completed();

  // The server's lines containing `needle`, and their number.
  std::size_t server_lines(const std::string& needle) {
    return cluster_.server().lines_containing(needle).size();
  }
  // Waits for the server's line containing `needle`.
  ::testing::AssertionResult server_logs(const std::string& needle);

  Cluster cluster_;
  TestPki pki_;
  std::vector<AgencyData> honest_;  // the files of the agencies start_honest_agencies() started
};

// The start of the line a server logs for a connection whose TLS handshake from
// 127.0.0.1 failed, before the reason.
inline constexpr const char* kHandshakeFailed =
    "action: serve_connection | result: fail | ip: 127.0.0.1 | error: TLS handshake with 127.0.0.1: ";

}  // namespace tp0::testing
