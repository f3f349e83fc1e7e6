#include <gtest/gtest.h>


#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kAgencies = 5;
constexpr std::size_t kCourseBets = 78'697;

class CourseDataset : public ::testing::TestWithParam<const char*> {};

TEST_P(CourseDataset, EveryBetIsStoredAndEveryAgencyGetsItsWinners) {
  const std::string zip = find_dataset();
  if (zip.empty()) GTEST_SKIP() << "the course's dataset.zip was not found; set TP0_DATASET to run this test";

  Cluster cluster;
  ASSERT_TRUE(unzip_into(zip, cluster.dir().path()));

  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", GetParam()},
                                       {"SERVER_AGENCIES", std::to_string(kAgencies)},
                                       {"LOGGING_LEVEL", "INFO"}});
  std::vector<AgencyData> agencies;
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    agencies.push_back(count_agency_file(cluster.dir().file("agency-" + std::to_string(id) + ".csv")));
    cluster.start_client(id, {{"CLI_DATA_FILE", agencies.back().path}, {"CLI_LOG_LEVEL", "INFO"}});
  }
  std::size_t total = 0;
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    auto& client = cluster.client(id);
    ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << client.output();
    EXPECT_EQ(client.lines_containing("action: consulta_ganadores | result: success | cant_ganadores: " +
                                      std::to_string(agencies[id - 1].winners))
                  .size(),
              1u)
        << "agency " << id;
    EXPECT_TRUE(client.lines_containing("result: fail").empty()) << client.output();
    total += agencies[id - 1].bets;
  }
  EXPECT_EQ(total, kCourseBets);
  EXPECT_EQ(server.lines_containing("action: sorteo | result: success").size(), 1u);
  EXPECT_TRUE(server.lines_containing("result: fail").empty());

  const auto stored = bets_per_agency(cluster.bets_path());
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    EXPECT_EQ(stored.at(id), agencies[id - 1].bets) << "agency " << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Concurrency, CourseDataset, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
