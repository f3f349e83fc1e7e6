#include "server/storage/bets_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>

#include "tests/support/process.h"

namespace tp0::storage {
namespace {

lottery::Bet bet(std::uint32_t agency, std::string document, std::uint16_t number,
                 std::string first_name = "Ana") {
  return lottery::Bet{agency, std::move(first_name), "Pérez", std::move(document), "1990-01-31", number};
}

std::vector<lottery::Bet> load_all(const std::string& path) {
  std::vector<lottery::Bet> bets;
  load_bets(path, [&](const lottery::Bet& b) { bets.push_back(b); });
  return bets;
}

off_t size_of(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_size : -1;
}

TEST(StorageBetsFile, RoundTripKeepsEveryFieldEvenAwkwardOnes) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  const std::vector<lottery::Bet> first{bet(1, "30904465", 7574, "Santiago Lionel"),
                                        bet(2, "00000007", 7, "O'Brien, \"Jr\"")};
  const std::vector<lottery::Bet> second{bet(3, "123", 0, "Zoë")};
  store_bets(path, first);
  store_bets(path, second);
  std::vector<lottery::Bet> expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(load_all(path), expected);
  EXPECT_EQ(testing::read_file(path),
            "1,Santiago Lionel,Pérez,30904465,1990-01-31,7574\n"
            "2,\"O'Brien, \"\"Jr\"\"\",Pérez,00000007,1990-01-31,7\n"
            "3,Zoë,Pérez,123,1990-01-31,0\n");
}

TEST(StorageBetsFile, MissingFileHoldsNoBets) {
  testing::TempDir dir;
  EXPECT_TRUE(load_all(dir.file("never-written.csv")).empty());
  EXPECT_TRUE(winning_documents(dir.file("never-written.csv"), 1).empty());
}

TEST(StorageBetsFile, WinnersAreOnlyTheAgencysBetsOn7574) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, std::vector<lottery::Bet>{bet(1, "11", 7574), bet(2, "22", 7574), bet(1, "12", 7573),
                                             bet(1, "13", 7574), bet(3, "33", 1)});
  EXPECT_EQ(winning_documents(path, 1), (std::vector<std::string>{"11", "13"}));
  EXPECT_EQ(winning_documents(path, 2), (std::vector<std::string>{"22"}));
  EXPECT_TRUE(winning_documents(path, 3).empty());
}

TEST(StorageBetsFile, TornRowIsReportedWithItsLine) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  testing::write_file(path, "1,Ana,Paz,1,1990-01-01,5\n1,Ana,Pa");
  try {
    load_all(path);
    FAIL() << "a torn row was accepted";
  } catch (const csv::CsvError& error) {
    EXPECT_NE(std::string(error.what()).find("bets.csv:2:"), std::string::npos) << error.what();
  }
}

TEST(StorageBetsFile, UnwritablePathIsAnErrorNamingIt) {
  try {
    store_bets("/nonexistent-dir/bets.csv", std::vector<lottery::Bet>{bet(1, "1", 1)});
    FAIL() << "stored into a missing directory";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent-dir/bets.csv"), std::string::npos);
  }
}

TEST(StorageBetsFile, TwoProcessesStoringAtOnceNeverTearOrInterleaveRows) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  constexpr int kBatches = 2000;
  constexpr int kBetsPerBatch = 50;
  // Long names make each batch several kilobytes, so interleaved writes would show.
  const auto writer = [&](std::uint32_t agency) {
    const std::string name(120, static_cast<char>('a' + agency));
    for (int b = 0; b < kBatches; ++b) {
      std::vector<lottery::Bet> batch;
      for (int i = 0; i < kBetsPerBatch; ++i) {
        batch.push_back(bet(agency, std::to_string(b * kBetsPerBatch + i), static_cast<std::uint16_t>(b % 10000), name));
      }
      store_bets(path, batch);
    }
  };
  std::vector<pid_t> children;
  for (std::uint32_t agency = 1; agency <= 2; ++agency) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      try {
        writer(agency);
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  std::map<std::uint32_t, int> next_document{{1, 0}, {2, 0}};
  std::uint32_t previous_agency = 0;
  int rows_in_run = 0;
  std::size_t total = 0;
  load_bets(path, [&](const lottery::Bet& stored) {
    ++total;
    ASSERT_EQ(stored.first_name, std::string(120, static_cast<char>('a' + stored.agency)));
    // Each writer's rows appear in the order it wrote them...
    ASSERT_EQ(stored.document, std::to_string(next_document[stored.agency]++));
    // ...and a batch is never split by the other writer's rows.
    if (stored.agency != previous_agency) {
      ASSERT_EQ(rows_in_run % kBetsPerBatch, 0) << "a batch was interleaved";
      rows_in_run = 0;
      previous_agency = stored.agency;
    }
    ++rows_in_run;
  });
  EXPECT_EQ(total, 2u * kBatches * kBetsPerBatch);
}

TEST(StorageBetsFile, FailedWriteLeavesTheFileAsItWas) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, std::vector<lottery::Bet>{bet(1, "1", 1)});
  const off_t before = size_of(path);

  // In a child limited to a file size just above the current one, a large batch fails
  // part way (EFBIG); the partial rows must be cut off again.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{static_cast<rlim_t>(before + 1000), static_cast<rlim_t>(before + 1000)};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::vector<lottery::Bet> batch;
    for (int i = 0; i < 500; ++i) batch.push_back(bet(2, std::to_string(i), 5));
    try {
      store_bets(path, batch);
    } catch (const std::system_error&) {
      ::_exit(0);
    }
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the write should have failed";
  EXPECT_EQ(size_of(path), before);
  EXPECT_EQ(load_all(path).size(), 1u);
}

}  // namespace
}  // namespace tp0::storage
