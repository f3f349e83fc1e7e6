// The real client against servers of the test's own: one whose certificate the round's CA
// did not sign, or that names another host, gets nothing from it; one with a valid
// certificate that claims to hold more bets than the client's file has gets no batch.
// The client's side does not depend on the server's concurrency: each runs once.
#include <gtest/gtest.h>

#include <vector>

#include "common/protocol/messages.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/tls_peer.h"
#include "tests/tls/test_pki.h"

namespace tp0::testing {
namespace {

constexpr std::size_t kBets = 40;

class TlsClientAgainstFakes : public ::testing::Test {
 protected:
  // Agency 1's real client, with its own certificate, against 127.0.0.1:`port`.
  Process& start_client(std::uint16_t port) {
    const auto data = write_agency_file(dir_.file("agency-1.csv"), 1, kBets, 2);
    Environment environment = client_tls_environment(pki_.agency(1));
    environment.emplace("CLI_ID", "1");
    environment.emplace("CLI_SERVER_ADDRESS", "127.0.0.1:" + std::to_string(port));
    environment.emplace("CLI_DATA_FILE", data.path);
    environment.emplace("CLI_LOG_LEVEL", "DEBUG");
    client_.emplace(TP0_CLIENT_BIN, environment, dir_.path(), dir_.file("client.log"));
    return *client_;
  }

  TempDir dir_;
  TestPki pki_{dir_.file("pki"), {1, 2}};
  std::optional<Process> client_;
};

struct Impostor {
  const char* test_name;
  tls::Credentials (TestPki::*credentials)() const;
  const char* verdict;
};

// How gtest names the cases in test lists (instead of their bytes).
void PrintTo(const Impostor& impostor, std::ostream* out) { *out << impostor.test_name; }

class TlsImpostors : public TlsClientAgainstFakes, public ::testing::WithParamInterface<Impostor> {};

TEST_P(TlsImpostors, TheClientFailsClearlyAndSendsThemNothing) {
  std::size_t application_bytes = 0;
  FakeTlsServer fake((pki_.*GetParam().credentials)(), [&](SslEnd& end) {
    std::byte chunk[4096];
    while (const std::size_t got = end.read_some(chunk)) application_bytes += got;
  });
  Process& client = start_client(fake.port());
  ASSERT_EQ(client.wait_exit(kRunTimeout), 1) << client.output();
  const FakeTlsServer::Report report = fake.stop();

  const auto failures = client.lines_containing("result: fail");
  ASSERT_EQ(failures.size(), 1u) << client.output();
  EXPECT_NE(
      failures[0].find("action: lottery | result: fail | client_id: 1 | error: TLS handshake with 127.0.0.1: "
                       "certificate verify failed (" +
                       std::string(GetParam().verdict) + ")"),
      std::string::npos)
      << failures[0];
  // A refusal is not retried.
  EXPECT_EQ(report.connections, 1u);
  EXPECT_EQ(report.handshakes, 0u) << "the fake server's handshake completed";
  EXPECT_EQ(application_bytes, 0u);
  EXPECT_TRUE(client.lines_containing("apuesta").empty()) << client.output();
}

INSTANTIATE_TEST_SUITE_P(
    Certificates, TlsImpostors,
    ::testing::Values(Impostor{"SignedByAnotherCa", &TestPki::untrusted_server,
                               "unable to get local issuer certificate"},
                      Impostor{"NamingAnotherHost", &TestPki::wrong_name_server, "IP address mismatch"}),
    [](const ::testing::TestParamInfo<Impostor>& test) { return std::string(test.param.test_name); });

TEST_F(TlsClientAgainstFakes, AResumePastTheClientsFileIsRefusedBeforeAnyBatch) {
  std::vector<protocol::Message> received;
  FakeTlsServer fake(pki_.server(), [&](SslEnd& end) {
    while (auto message = end.receive()) {
      received.push_back(*message);
      if (std::holds_alternative<protocol::Hello>(*message)) end.send(protocol::Resume{kBets + 5});
    }
  });
  Process& client = start_client(fake.port());
  ASSERT_EQ(client.wait_exit(kRunTimeout), 1) << client.output();
  const FakeTlsServer::Report report = fake.stop();

  const auto failures = client.lines_containing("result: fail");
  ASSERT_EQ(failures.size(), 1u) << client.output();
  EXPECT_NE(failures[0].find("action: lottery | result: fail | client_id: 1 | error: the server holds " +
                             std::to_string(kBets + 5) + " bets of this agency, but "),
            std::string::npos)
      << failures[0];
  EXPECT_NE(failures[0].find("has only " + std::to_string(kBets)), std::string::npos) << failures[0];
  EXPECT_EQ(report.handshakes, 1u);
  ASSERT_EQ(received.size(), 1u) << "the client sent more than its Hello";
  EXPECT_EQ(received[0], protocol::Message{protocol::Hello{1}});
}

}  // namespace
}  // namespace tp0::testing
