#include "server/draw/draw_record.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "server/storage/bets_file.h"
#include "server/storage/round_files.h"
#include "tests/support/process.h"

namespace tp0::draw {
namespace {

lottery::Bet bet(std::uint32_t agency, std::string document, std::uint16_t number) {
  return lottery::Bet{agency, "Ana", "Pérez", std::move(document), "1990-01-31", number};
}

using Documents = std::vector<std::string>;
constexpr auto kProcess = storage::Durability::kProcess;

// Every document visit_winners() gives for `agency`.
Documents winners_of(
    const std::string& bets_path, std::uint32_t agency, const std::function<void()>& announce = [] {}) {
  Documents documents;
  const std::uint64_t count =
      visit_winners(bets_path, agency, kProcess, announce,
                    [&](const std::string& document) { documents.push_back(document); });
  EXPECT_EQ(count, documents.size());
  return documents;
}

// The files of the record directory `record`, by name, with what each holds.
std::map<std::string, std::string> files_of(const std::string& record) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(record)) {
    files[entry.path().filename().string()] = testing::read_file(entry.path().string());
  }
  return files;
}

// record_draw() fails, announcing nothing, with `code` and a message that holds `named`.
void expect_draw_fails(const std::string& bets_path, int code, const std::string& named) {
  try {
    record_draw(bets_path, kProcess, [] { ADD_FAILURE() << "announced"; });
    ADD_FAILURE() << "the draw was recorded";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), code) << error.what();
    EXPECT_NE(std::string(error.what()).find(named), std::string::npos) << error.what();
  }
}

TEST(DrawRecord, WinnersAreOnlyTheAgencysBetsOn7574InFileOrder) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path,
                      std::vector<lottery::Bet>{bet(1, "13", 7574), bet(2, "22", 7574), bet(1, "12", 7573),
                                                bet(1, "11", 7574), bet(3, "33", 1)});
  int announcements = 0;
  const auto announce = [&] { ++announcements; };
  EXPECT_EQ(winners_of(path, 1, announce), (Documents{"13", "11"}));
  EXPECT_EQ(winners_of(path, 2, announce), (Documents{"22"}));
  EXPECT_TRUE(winners_of(path, 3, announce).empty());
  EXPECT_TRUE(winners_of(path, 4, announce).empty());
  EXPECT_EQ(announcements, 1) << "the draw is announced by the one call that records it";
}

TEST(DrawRecord, RecordedOnceAndNeverRecomputed) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574)});
  EXPECT_TRUE(record_draw(path, kProcess, [] {}));
  const auto record = files_of(dir.file("bets.csv.draw"));
  EXPECT_FALSE(record_draw(path, kProcess, [] { ADD_FAILURE() << "announced twice"; }));
  // Even if something stored a bet later, the answers come from the record as it was.
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "14", 7574)});
  EXPECT_EQ(winners_of(path, 1), (Documents{"13"}));
  EXPECT_EQ(files_of(dir.file("bets.csv.draw")), record);
}

TEST(DrawRecord, AnEmptyRoundHasAnEmptyRecord) {
  testing::TempDir dir;
  const std::string path = dir.file("never-written.csv");
  EXPECT_TRUE(winners_of(path, 1).empty());
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("never-written.csv.draw")));
  EXPECT_TRUE(files_of(dir.file("never-written.csv.draw")).empty());
}

TEST(DrawRecord, EachAgencyWithWinnersHasAFileOfItsRowsNamedByItsId) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path,
                      std::vector<lottery::Bet>{bet(3, "31", 7574), bet(1, "11", 7574), bet(3, "32", 7574),
                                                bet(2, "21", 1), bet(1, "12", 7574), bet(9, "91", 7574)});
  ASSERT_TRUE(record_draw(path, kProcess, [] {}));
  const std::map<std::string, std::string> expected{
      {"1", "1,11\n1,12\n"}, {"3", "3,31\n3,32\n"}, {"9", "9,91\n"}};
  EXPECT_EQ(files_of(dir.file("bets.csv.draw")), expected) << "none for agency 2, which has no winners";
  struct stat info {};
  ASSERT_EQ(::stat(dir.file("bets.csv.draw/1").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "winners' documents are bets' data";
}

// An answer reads its own agency's file only: the others damaged or gone do not change
// it, and do not make it write the record again.
TEST(DrawRecord, AnAnswerReadsOnlyItsAgencysFile) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path,
                      std::vector<lottery::Bet>{bet(1, "11", 7574), bet(2, "21", 7574), bet(3, "31", 7574),
                                                bet(2, "22", 7574), bet(1, "12", 7574)});
  ASSERT_TRUE(record_draw(path, kProcess, [] {}));
  testing::write_file(dir.file("bets.csv.draw/2"), "x,\"");
  std::filesystem::remove(dir.file("bets.csv.draw/3"));
  const auto never = [] { ADD_FAILURE() << "written again though the record is there"; };
  EXPECT_EQ(winners_of(path, 1, never), (Documents{"11", "12"}));
  EXPECT_TRUE(winners_of(path, 4, never).empty());
}

// Many agencies, each with its own count of winners (some none): each answer finds its
// own file among many.
TEST(DrawRecord, EachOfManyAgenciesGetsItsOwnWinners) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  constexpr std::uint32_t kAgencies = 300;
  std::vector<lottery::Bet> bets;
  for (std::uint32_t round = 0; round < 5; ++round) {
    for (std::uint32_t agency = 1; agency <= kAgencies; ++agency) {
      const bool wins = round < agency % 6;
      bets.push_back(bet(agency, std::to_string(agency * 10 + round), wins ? 7574 : 7575));
    }
  }
  storage::store_bets(path, bets);
  for (std::uint32_t agency = 0; agency <= kAgencies + 1; ++agency) {
    Documents expected;
    for (std::uint32_t round = 0; round < agency % 6 && agency <= kAgencies && agency > 0; ++round) {
      expected.push_back(std::to_string(agency * 10 + round));
    }
    EXPECT_EQ(winners_of(path, agency, [] {}), expected) << "agency " << agency;
  }
}

// What a process killed while writing the record leaves is its scratch directory, never
// the record: the next answer records the draw, with the same rows, and answers from it.
TEST(DrawRecord, AMissingRecordIsWrittenAgainTheSameOverWhatAKilledWriterLeft) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path,
                      std::vector<lottery::Bet>{bet(1, "13", 7574), bet(2, "22", 7574), bet(1, "11", 7574)});
  ASSERT_TRUE(record_draw(path, storage::Durability::kMachine, [] {}));
  const auto record = files_of(dir.file("bets.csv.draw"));
  for (const bool answer_first : {false, true}) {
    SCOPED_TRACE(answer_first ? "an answer first" : "record_draw() first");
    std::filesystem::remove_all(dir.file("bets.csv.draw"));
    std::filesystem::create_directory(dir.file("bets.csv.draw.tmp"));
    testing::write_file(dir.file("bets.csv.draw.tmp/1"), "1,13\n");
    int announcements = 0;
    const auto announce = [&] { ++announcements; };
    if (answer_first) {
      EXPECT_EQ(winners_of(path, 2, announce), (Documents{"22"}));
      EXPECT_FALSE(record_draw(path, kProcess, announce));
    } else {
      EXPECT_TRUE(record_draw(path, kProcess, announce));
      EXPECT_EQ(winners_of(path, 2, announce), (Documents{"22"}));
    }
    EXPECT_EQ(winners_of(path, 1, announce), (Documents{"13", "11"}));
    EXPECT_EQ(announcements, 1) << "recorded again, once";
    EXPECT_EQ(files_of(dir.file("bets.csv.draw")), record);
    EXPECT_FALSE(std::filesystem::exists(dir.file("bets.csv.draw.tmp")));
  }
}

// A link planted where the record is written aside, to a directory elsewhere that holds
// a file named like an agency's: the link is removed, not followed, and the record is
// written in a directory of the writer's own.
TEST(DrawRecord, ALinkAtTheScratchNameIsRemovedNotWrittenThrough) {
  testing::TempDir dir;
  testing::TempDir outside;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574)});
  testing::write_file(outside.file("1"), "not the server's\n");
  std::filesystem::create_directory_symlink(outside.path(), dir.file("bets.csv.draw.tmp"));
  EXPECT_EQ(winners_of(path, 1), (Documents{"13"}));
  EXPECT_EQ(files_of(outside.path()), (std::map<std::string, std::string>{{"1", "not the server's\n"}}));
  EXPECT_FALSE(std::filesystem::is_symlink(dir.file("bets.csv.draw")));
}

// The record holds files only: a directory found in the scratch directory was put there by
// someone else, and the draw fails naming it rather than remove what it holds.
TEST(DrawRecord, ADirectoryInTheScratchDirectoryIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574)});
  std::filesystem::create_directories(dir.file("bets.csv.draw.tmp/planted"));
  expect_draw_fails(path, EISDIR, "remove " + dir.file("bets.csv.draw.tmp/planted"));
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("bets.csv.draw.tmp/planted")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("bets.csv.draw")));
}

// A link planted at the lock's name, to a file elsewhere that does not exist: the draw
// fails, naming the lock, and creates nothing through the link. (Removing it could remove
// another process's lock made in its place.)
TEST(DrawRecord, ALinkAtTheLocksNameIsAnErrorNotAFileMadeElsewhere) {
  testing::TempDir dir;
  testing::TempDir outside;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574)});
  std::filesystem::create_symlink(outside.file("lock"), dir.file("bets.csv.draw.lock"));
  expect_draw_fails(path, ELOOP, "draw record lock " + dir.file("bets.csv.draw.lock"));
  EXPECT_FALSE(std::filesystem::exists(outside.file("lock")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("bets.csv.draw")));
}

TEST(DrawRecord, ANewRoundNeverSeesThePreviousRoundsWinners) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574)});
  ASSERT_EQ(winners_of(path, 1), (Documents{"13"}));
  ASSERT_TRUE(storage::archive_previous_round(path, kProcess).has_value());
  remove_draw_record(path, kProcess);
  struct stat info {};
  EXPECT_EQ(::stat(dir.file("bets.csv.draw").c_str(), &info), -1);
  EXPECT_TRUE(winners_of(path, 1).empty());
}

TEST(DrawRecord, ARecordThatIsNotOneIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  // A record whose agency 1's second row is no winner's.
  std::filesystem::create_directory(dir.file("bets.csv.draw"));
  testing::write_file(dir.file("bets.csv.draw/1"), "1,11\n1\n");
  try {
    winners_of(path, 1);
    FAIL() << "a row without 2 fields was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("bets.csv.draw/1:2"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace tp0::draw
