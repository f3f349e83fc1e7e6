#include "server/storage/round_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "server/storage/bets_file.h"
#include "server/storage/journal.h"
#include "tests/support/bets.h"
#include "tests/support/process.h"

namespace tp0::storage {
namespace {

using testing::winning_bets_of;

std::size_t rows_in(const std::string& path) {
  std::size_t rows = 0;
  load_bets(path, [&](const lottery::Bet&) { ++rows; });
  return rows;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Whatever step of archiving a round was stopped at, the next archiving sets the round
// aside once, whole, under the first number, and the next round starts with none of it.
// Each case builds by hand the files the step before the kill leaves.
TEST(StorageRoundFiles, ArchivingStoppedAtAnyStepIsCompletedByTheNextWithoutMixingRounds) {
  const std::vector<std::string> steps{"before the journal's second name", "before the rename",
                                       "before the old journal name goes", "after every step"};
  for (const std::string& step : steps) {
    SCOPED_TRACE(step);
    testing::TempDir dir;
    const std::string path = dir.file("bets.csv");
    const std::string journal = Journal::path_for(path);
    store_bets(path, winning_bets_of(1, 5));
    const std::string round = testing::read_file(path);
    if (step != steps[0]) {
      ASSERT_EQ(::link(journal.c_str(), (path + ".1.journal").c_str()), 0);
    }
    if (step == steps[2] || step == steps[3]) {
      ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
    }
    if (step == steps[3]) {
      ASSERT_EQ(::unlink(journal.c_str()), 0);
    }

    const auto archived = archive_previous_round(path, Durability::kMachine);
    EXPECT_EQ(archived.has_value(), step == steps[0] || step == steps[1]) << "set aside by this call";
    EXPECT_EQ(testing::read_file(path + ".1"), round);
    EXPECT_EQ(rows_in(path + ".1"), 5u);
    EXPECT_TRUE(exists(path + ".1.journal"));
    EXPECT_FALSE(exists(path + ".2")) << "the round was set aside twice";
    EXPECT_FALSE(exists(path)) << "the new round holds the previous one's bets";
    EXPECT_FALSE(exists(journal)) << "a journal the next writer would take for the new round's";
    store_bets(path, winning_bets_of(2, 3));
    EXPECT_EQ(rows_in(path), 3u);
  }
}

TEST(StorageRoundFiles, ABetsFileWithoutJournalIsRefusedForResumingAndSetAsideByANewRound) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  testing::write_file(path, "1,Ana,Paz,30000000,1990-01-31,7574\n");
  try {
    StreamTable streams({1});
    recover(path, streams);
    FAIL() << "bets nothing says were committed were resumed";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("SERVER_ROUND=new"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  }
  EXPECT_FALSE(exists(Journal::path_for(path))) << "the refusal changed the round";

  const auto archived = archive_previous_round(path, Durability::kProcess);
  ASSERT_TRUE(archived.has_value());
  EXPECT_EQ(archived->archived_as, path + ".1");
  EXPECT_EQ(rows_in(path + ".1"), 1u);
  EXPECT_FALSE(exists(path));
}

TEST(StorageRoundFiles, AnEmptyBetsFileWithoutJournalResumesAsAnEmptyRound) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  testing::write_file(path, "");
  StreamTable streams({1});
  EXPECT_EQ(recover(path, streams).entries_dropped, 0u);
  EXPECT_EQ(streams.stream(1).position, 0u);
}

TEST(StorageRoundFiles, ARoundStartsWithBothFilesAndTheJournalsFirstEntry) {
  for (const Durability durability : {Durability::kProcess, Durability::kMachine}) {
    testing::TempDir dir;
    const std::string path = dir.file("bets.csv");
    StreamTable streams({1});
    recover(path, streams, durability);
    EXPECT_EQ(testing::read_file(path), "");
    EXPECT_EQ(testing::read_file(Journal::path_for(path)).size(), Journal::kEntryBytes);
    EXPECT_EQ(streams.entries(), 1u);
    StreamTable again({1});
    recover(path, again, durability);
    EXPECT_EQ(testing::read_file(Journal::path_for(path)).size(), Journal::kEntryBytes) << "written once";
    store_bets(path, winning_bets_of(1, 2));
    EXPECT_EQ(rows_in(path), 2u);
    StreamTable resumed({1});
    EXPECT_EQ(recover(path, resumed).bytes_dropped, 0u);
  }
}

}  // namespace
}  // namespace tp0::storage
