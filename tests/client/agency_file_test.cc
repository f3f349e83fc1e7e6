#include "client/agency_file.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace tp0::client {
namespace {

struct Rejection {
  std::size_t line;
  std::string problem;
};

TEST(ClientAgencyFile, ReadsValidRowsAndReportsTheOthersWithTheirLine) {
  testing::TempDir dir;
  const std::string path = dir.file("agency.csv");
  testing::write_file(path,
                      "Santiago Lionel,Lorca,30904465,1999-03-17,7574\r\n"
                      "\"Núñez, Zoë\",\"O\"\"Neill\",00000007,2000-01-01,7\r\n"
                      "Ana,Paz,123,2000-02-30,5\r\n"
                      "Ana,Paz,124,2000-01-01\r\n"
                      "Ana,Paz,125,2000-01-01,10000\r\n"
                      "Ana,,126,2000-01-01,1\n"
                      "Luz,Sol,127,2004-02-29,9999\n");
  std::vector<Rejection> rejected;
  AgencyFile file(path, 4, [&](std::size_t line, const std::string& problem) {
    rejected.push_back({line, problem});
  });
  std::vector<lottery::Bet> bets;
  lottery::Bet bet;
  while (file.next(bet)) bets.push_back(bet);

  ASSERT_EQ(bets.size(), 3u);
  EXPECT_EQ(bets[0], (lottery::Bet{4, "Santiago Lionel", "Lorca", "30904465", "1999-03-17", 7574}));
  EXPECT_EQ(bets[1], (lottery::Bet{4, "Núñez, Zoë", "O\"Neill", "00000007", "2000-01-01", 7}));
  EXPECT_EQ(bets[2], (lottery::Bet{4, "Luz", "Sol", "127", "2004-02-29", 9999}));
  ASSERT_EQ(rejected.size(), 4u);
  EXPECT_EQ(rejected[0].line, 3u);
  EXPECT_NE(rejected[0].problem.find("birthdate"), std::string::npos) << rejected[0].problem;
  EXPECT_EQ(rejected[1].line, 4u);
  EXPECT_EQ(rejected[2].line, 5u);
  EXPECT_NE(rejected[2].problem.find("number"), std::string::npos) << rejected[2].problem;
  EXPECT_EQ(rejected[3].line, 6u);
  EXPECT_NE(rejected[3].problem.find("last_name"), std::string::npos) << rejected[3].problem;
}

TEST(ClientAgencyFile, MissingFileIsAnErrorNamingIt) {
  try {
    AgencyFile file("/nonexistent/agency.csv", 1, [](std::size_t, const std::string&) {});
    FAIL() << "opened a missing file";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/agency.csv"), std::string::npos);
  }
}

}  // namespace
}  // namespace tp0::client
