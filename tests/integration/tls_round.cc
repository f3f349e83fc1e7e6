#include "tests/integration/tls_round.h"

#include <stdexcept>

#include "tests/integration/agency_data.h"

namespace tp0::testing {

TlsRound::TlsRound() : pki_(cluster_.dir().file("pki"), {1, 2, 3, kOutsider}) {}

Process& TlsRound::start_server(Environment environment) {
  environment.emplace("SERVER_CONCURRENCY", GetParam());
  environment.emplace("SERVER_AGENCIES", std::to_string(kAgencies));
  environment.merge(server_tls_environment(pki_.server()));
  return cluster_.start_server(std::move(environment));
}

SslEnd TlsRound::peer(const std::optional<tls::Credentials>& identity) const {
  return tls_peer(cluster_.port(), identity, pki_.authority());
}

SslEnd TlsRound::agency_peer(std::uint32_t agency) const {
  SslEnd end = peer(pki_.agency(agency));
  if (!end.handshake())
    throw std::runtime_error("agency " + std::to_string(agency) + "'s peer: " + end.error());
  return end;
}

void TlsRound::start_honest_agencies() {
  honest_.clear();
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    Environment environment = client_tls_environment(pki_.agency(id));
    environment.emplace("CLI_BATCH_MAXAMOUNT", "25");
    honest_.push_back(start_agency(cluster_, id, kBets, winners_of(id), environment));
  }
}

void TlsRound::expect_honest_round_completed() {
  Process& server = cluster_.server();
  expect_round_complete(cluster_, honest_);
  EXPECT_EQ(server_lines("action: sorteo | result: success"), 1u) << server.output();
  // The draw after every batch: no line of a stored batch follows it.
  const auto lines = split_lines(server.output());
  bool drawn = false;
  for (const auto& line : lines) {
    if (line.find("action: sorteo | result: success") != std::string::npos) drawn = true;
    if (drawn && line.find("action: apuesta_recibida | result: success") != std::string::npos) {
      ADD_FAILURE() << "a batch stored after the draw: " << line;
    }
  }
  EXPECT_TRUE(server.running()) << server.output();
}

::testing::AssertionResult TlsRound::server_logs(const std::string& needle) {
  if (cluster_.server().wait_for_line(needle, kStartTimeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the server did not log \"" << needle << "\":\n"
                                       << cluster_.server().output();
}

}  // namespace tp0::testing
