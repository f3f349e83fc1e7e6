#include "server/draw/draw_record.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "server/storage/bets_file.h"
#include "server/storage/journal.h"
#include "server/storage/round_files.h"
#include "tests/support/process.h"

namespace tp0::draw {
namespace {

lottery::Bet bet(std::uint32_t agency, std::string document, std::uint16_t number) {
  return lottery::Bet{agency, "Ana", "Pérez", std::move(document), "1990-01-31", number};
}

using Documents = std::vector<std::string>;
constexpr auto kProcess = storage::Durability::kProcess;

TEST(DrawRecord, WinnersAreOnlyTheAgencysBetsOn7574InFileOrder) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574), bet(2, "22", 7574), bet(1, "12", 7573),
                                                      bet(1, "11", 7574), bet(3, "33", 1)});
  int announcements = 0;
  const auto announce = [&] { ++announcements; };
  EXPECT_EQ(recorded_winners(path, kProcess, announce).of(1), (Documents{"13", "11"}));
  EXPECT_EQ(recorded_winners(path, kProcess, announce).of(2), (Documents{"22"}));
  EXPECT_TRUE(recorded_winners(path, kProcess, announce).of(3).empty());
  EXPECT_TRUE(recorded_winners(path, kProcess, announce).of(4).empty());
  EXPECT_EQ(announcements, 1) << "the draw is announced by the one call that records it";
}

TEST(DrawRecord, RecordedOnceAndNeverRecomputed) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574)});
  EXPECT_TRUE(record_draw(path, kProcess, [] {}));
  const std::string record = testing::read_file(dir.file("bets.csv.draw"));
  EXPECT_FALSE(record_draw(path, kProcess, [] { ADD_FAILURE() << "announced twice"; }));
  // Even if something stored a bet later, the answers come from the record as it was.
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "14", 7574)});
  EXPECT_EQ(recorded_winners(path, kProcess, [] {}).of(1), (Documents{"13"}));
  EXPECT_EQ(testing::read_file(dir.file("bets.csv.draw")), record);
}

TEST(DrawRecord, AnEmptyRoundHasAnEmptyRecord) {
  testing::TempDir dir;
  const std::string path = dir.file("never-written.csv");
  EXPECT_TRUE(recorded_winners(path, kProcess, [] {}).of(1).empty());
  // The committed length, then the checksum of no rows.
  EXPECT_EQ(testing::read_file(dir.file("never-written.csv.draw")),
            "0," + std::to_string(storage::rows_checksum("")) + "\n");
}

// What a crash of the machine can leave of a record renamed before its bytes reached the
// disk: nothing, a part, or zeros. Each reads as no record: the draw is recorded again,
// with the same rows, and answered from it.
TEST(DrawRecord, AnEmptyOrTornRecordReadsAsAbsentAndIsWrittenAgain) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574), bet(2, "22", 7574), bet(1, "11", 7574)});
  ASSERT_TRUE(record_draw(path, storage::Durability::kMachine, [] {}));
  const std::string record = testing::read_file(dir.file("bets.csv.draw"));
  const std::size_t header = record.find('\n') + 1;
  for (const std::string& torn : {std::string(), record.substr(0, header / 2), record.substr(0, header),
                                  record.substr(0, record.size() - 1), record.substr(0, record.size() - 4) + "\n",
                                  std::string(record.size(), '\0')}) {
    SCOPED_TRACE("record left as \"" + torn + "\"");
    testing::write_file(dir.file("bets.csv.draw"), torn);
    int announcements = 0;
    EXPECT_EQ(recorded_winners(path, kProcess, [&] { ++announcements; }).of(1), (Documents{"13", "11"}));
    EXPECT_EQ(announcements, 1) << "recorded again";
    EXPECT_EQ(testing::read_file(dir.file("bets.csv.draw")), record);
  }
}

TEST(DrawRecord, ANewRoundNeverSeesThePreviousRoundsWinners) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574)});
  ASSERT_EQ(recorded_winners(path, kProcess, [] {}).of(1), (Documents{"13"}));
  ASSERT_TRUE(storage::archive_previous_round(path, kProcess).has_value());
  remove_draw_record(path);
  struct stat info {};
  EXPECT_EQ(::stat(dir.file("bets.csv.draw").c_str(), &info), -1);
  EXPECT_TRUE(recorded_winners(path, kProcess, [] {}).of(1).empty());
}

TEST(DrawRecord, ARecordThatIsNotOneIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  // A whole record, as its checksum says, whose row is no winner's.
  testing::write_file(dir.file("bets.csv.draw"), "12," + std::to_string(storage::rows_checksum("1\n")) + "\n1\n");
  try {
    recorded_winners(path, kProcess, [] {}).of(1);
    FAIL() << "a row without 2 fields was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("bets.csv.draw:2"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace tp0::draw
