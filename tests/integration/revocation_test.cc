// An agency's key taken back in the middle of a round: the operator revokes its
// certificate (scripts/make-certs.sh --revoke), restarts the server, which resumes the
// round and refuses the old key, then gives the agency a new key (--renew), with which it
// finishes: the round completes with every bet once.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kRevoked = 3;
// The script makes or revokes one certificate in well under a second; a minute means it hangs.
constexpr std::chrono::minutes kScriptTimeout{1};

// Runs scripts/make-certs.sh `action` on the cluster's certificates for agency kRevoked.
void make_certs(Cluster& cluster, const std::string& action) {
  run_to_completion("/bin/bash",
                    {std::string(TP0_SOURCE_DIR) + "/scripts/make-certs.sh", action,
                     cluster.dir().file("tls"), std::to_string(kRevoked)},
                    cluster.dir().path(), cluster.dir().file("make-certs" + action + ".log"), kScriptTimeout);
}

class Revocation : public ::testing::TestWithParam<const char*> {};

TEST_P(Revocation, RevokeRestartRenewTheRoundCompletesWithEveryBetOnce) {
  Cluster cluster;
  const Environment server_environment{{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", "3"}};
  Process& first = cluster.start_server(server_environment);
  std::vector<AgencyData> agencies{start_agency(cluster, 1, 200, 1), start_agency(cluster, 2, 200, 2)};
  // Agency 3 stores part of its file, then its key is stolen: the operator stops its client.
  agencies.push_back(write_agency_file(cluster.dir().file("agency-3.csv"), kRevoked, 2000, 3));
  const Environment agency_3{{"CLI_DATA_FILE", agencies.back().path}, {"CLI_BATCH_MAXAMOUNT", "20"}};
  Process& stolen = cluster.start_client(kRevoked, agency_3);
  ASSERT_TRUE(stolen.wait_for_lines("action: batch_enviado", 5, kRunTimeout)) << stolen.output();
  stolen.send_signal(SIGKILL);
  ASSERT_EQ(stolen.wait_exit(kRunTimeout), 128 + SIGKILL);

  make_certs(cluster, "--revoke");
  first.send_signal(SIGTERM);
  ASSERT_EQ(first.wait_exit(kRunTimeout), 0) << first.output();
  Process& server = cluster.restart_server(server_environment);
  ASSERT_EQ(server.lines_containing("action: resume_round | result: success").size(), 1u) << server.output();

  Environment old_key = agency_3;
  old_key.emplace("CLI_SERVER_PATIENCE", "2s");
  Process& refused = cluster.start_client(kRevoked, old_key);
  EXPECT_NE(refused.wait_exit(kRunTimeout), 0) << refused.output();
  EXPECT_TRUE(server.wait_for_line("certificate revoked", kRunTimeout)) << server.output();

  make_certs(cluster, "--renew");
  cluster.start_client(kRevoked, agency_3);
  expect_round_complete(cluster, agencies);
}

INSTANTIATE_TEST_SUITE_P(Concurrency, Revocation, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
