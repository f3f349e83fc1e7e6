#include "server/draw/draw_record.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "server/draw/record_layout.h"

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

// Every document visit_winners() gives for `agency`.
Documents winners_of(const std::string& bets_path, std::uint32_t agency,
                     const std::function<void()>& announce = [] {}) {
  Documents documents;
  const std::uint64_t count = visit_winners(bets_path, agency, kProcess, announce,
                                            [&](const std::string& document) { documents.push_back(document); });
  EXPECT_EQ(count, documents.size());
  return documents;
}

// The index lines of the record at `path`, read back.
std::vector<Part> index_of(const std::string& record) {
  const auto header = decode_header(std::string_view(record).substr(0, kHeaderBytes));
  EXPECT_TRUE(header.has_value());
  std::vector<Part> parts;
  for (std::uint32_t i = 0; header && i < header->agencies; ++i) {
    const auto line = decode_index_line(std::string_view(record).substr(index_line_offset(i), kIndexLineBytes));
    EXPECT_TRUE(line.has_value()) << "index line " << i;
    if (line) parts.push_back(*line);
  }
  return parts;
}

TEST(DrawRecord, WinnersAreOnlyTheAgencysBetsOn7574InFileOrder) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574), bet(2, "22", 7574), bet(1, "12", 7573),
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
  const std::string record = testing::read_file(dir.file("bets.csv.draw"));
  EXPECT_FALSE(record_draw(path, kProcess, [] { ADD_FAILURE() << "announced twice"; }));
  // Even if something stored a bet later, the answers come from the record as it was.
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "14", 7574)});
  EXPECT_EQ(winners_of(path, 1), (Documents{"13"}));
  EXPECT_EQ(testing::read_file(dir.file("bets.csv.draw")), record);
}

TEST(DrawRecord, AnEmptyRoundHasAnEmptyRecord) {
  testing::TempDir dir;
  const std::string path = dir.file("never-written.csv");
  EXPECT_TRUE(winners_of(path, 1).empty());
  // The header alone: committed length 0, no agency with winners.
  EXPECT_EQ(testing::read_file(dir.file("never-written.csv.draw")), encode_header({0, 0}));
  EXPECT_EQ(encode_header({0, 0}).substr(0, 32), "00000000000000000000,0000000000,");
}

TEST(DrawRecord, PartsAreGroupedByAgencyBehindAnIndexOfWhereEachIs) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(3, "31", 7574), bet(1, "11", 7574), bet(3, "32", 7574),
                                                      bet(2, "21", 1), bet(1, "12", 7574), bet(9, "91", 7574)});
  ASSERT_TRUE(record_draw(path, kProcess, [] {}));
  const std::string record = testing::read_file(dir.file("bets.csv.draw"));
  const auto header = decode_header(std::string_view(record).substr(0, kHeaderBytes));
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->committed_length, storage::committed_length(path));
  const std::vector<Part> parts = index_of(record);
  ASSERT_EQ(parts.size(), 3u) << "one line per agency with winners, none for agency 2";
  const std::vector<std::pair<std::uint32_t, std::string>> expected{
      {1, "1,11\n1,12\n"}, {3, "3,31\n3,32\n"}, {9, "9,91\n"}};
  std::uint64_t offset = parts_offset(3);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    SCOPED_TRACE("index line " + std::to_string(i));
    EXPECT_EQ(parts[i].agency, expected[i].first) << "ascending";
    EXPECT_EQ(parts[i].offset, offset) << "each part right after the one before";
    EXPECT_EQ(record.substr(parts[i].offset, parts[i].length), expected[i].second);
    EXPECT_EQ(parts[i].checksum, storage::rows_checksum(expected[i].second));
    offset += parts[i].length;
  }
  EXPECT_EQ(offset, record.size());
}

TEST(DrawRecordLayout, HeaderAndIndexLinesHaveAFixedSizeAndCheckThemselves) {
  const RecordHeader header{123456789012, 4000};
  const std::string header_bytes = encode_header(header);
  EXPECT_EQ(header_bytes.size(), kHeaderBytes);
  const auto decoded = decode_header(header_bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->committed_length, header.committed_length);
  EXPECT_EQ(decoded->agencies, header.agencies);

  const Part part{4294967295u, 18446744073709551615u, 7, 4294967295u};
  const std::string line = encode_index_line(part);
  EXPECT_EQ(line.size(), kIndexLineBytes);
  const auto read = decode_index_line(line);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->agency, part.agency);
  EXPECT_EQ(read->offset, part.offset);
  EXPECT_EQ(read->length, part.length);
  EXPECT_EQ(read->checksum, part.checksum);

  // Any byte changed, a line cut short or zeros: not a line.
  for (const std::string& whole : {header_bytes, line}) {
    const auto decodes = [&](const std::string& bytes) {
      return whole.size() == kHeaderBytes ? decode_header(bytes).has_value() : decode_index_line(bytes).has_value();
    };
    EXPECT_TRUE(decodes(whole));
    for (std::size_t i = 0; i < whole.size(); ++i) {
      std::string changed = whole;
      changed[i] = changed[i] == '1' ? '2' : '1';
      EXPECT_FALSE(decodes(changed)) << "byte " << i << " changed";
    }
    EXPECT_FALSE(decodes(whole.substr(0, whole.size() - 1)));
    EXPECT_FALSE(decodes(std::string(whole.size(), '\0')));
    EXPECT_FALSE(decodes(""));
  }
}

// An answer checks and reads its own agency's part only: other parts torn or damaged do
// not change it, and do not make it write the record again; the agency whose part is
// damaged has the record written again, the same.
TEST(DrawRecord, AnAnswerReadsOnlyItsAgencysPart) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "11", 7574), bet(2, "21", 7574), bet(3, "31", 7574),
                                                      bet(2, "22", 7574), bet(1, "12", 7574)});
  ASSERT_TRUE(record_draw(path, kProcess, [] {}));
  const std::string record = testing::read_file(dir.file("bets.csv.draw"));
  const std::vector<Part> parts = index_of(record);
  ASSERT_EQ(parts.size(), 3u);
  std::string damaged = record;
  // Agency 2's part made another agency's rows, checksum and all wrong.
  for (std::uint64_t i = 0; i < parts[1].length; ++i) damaged[parts[1].offset + i] = 'x';
  // Agency 3's part cut short.
  damaged.resize(parts[2].offset + 1);
  testing::write_file(dir.file("bets.csv.draw"), damaged);
  const auto never = [] { ADD_FAILURE() << "written again for an agency whose part is whole"; };
  EXPECT_EQ(winners_of(path, 1, never), (Documents{"11", "12"}));
  EXPECT_TRUE(winners_of(path, 4, never).empty()) << "no line for it in an index whose lines are whole";
  EXPECT_EQ(testing::read_file(dir.file("bets.csv.draw")), damaged);
  int announcements = 0;
  EXPECT_EQ(winners_of(path, 2, [&] { ++announcements; }), (Documents{"21", "22"}));
  EXPECT_EQ(announcements, 1) << "recorded again";
  EXPECT_EQ(testing::read_file(dir.file("bets.csv.draw")), record);
}

// Many agencies, each with its own count of winners (some none): each answer finds its
// own line among many by binary search.
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

// What a crash of the machine can leave of a record renamed before its bytes reached the
// disk: nothing, a part, or zeros. Each reads as no record: the draw is recorded again,
// with the same rows, and answered from it.
TEST(DrawRecord, AnEmptyOrTornRecordReadsAsAbsentAndIsWrittenAgain) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  storage::store_bets(path, std::vector<lottery::Bet>{bet(1, "13", 7574), bet(2, "22", 7574), bet(1, "11", 7574)});
  ASSERT_TRUE(record_draw(path, storage::Durability::kMachine, [] {}));
  const std::string record = testing::read_file(dir.file("bets.csv.draw"));
  const std::size_t index = kHeaderBytes;
  const std::size_t parts = parts_offset(2);
  for (const std::string& torn :
       {std::string(), record.substr(0, index / 2), record.substr(0, index), record.substr(0, parts - 1),
        record.substr(0, parts), record.substr(0, record.size() - 1), record.substr(0, record.size() - 4) + "\n",
        std::string(record.size(), '\0'), record + "2,23\n"}) {
    SCOPED_TRACE("record left as \"" + torn + "\"");
    for (const bool answer_first : {false, true}) {
      testing::write_file(dir.file("bets.csv.draw"), torn);
      int announcements = 0;
      const auto announce = [&] { ++announcements; };
      // Agency 2's part is the last, cut by most of these; when it is whole its answer does
      // not write the record again, and record_draw() does.
      if (answer_first) {
        EXPECT_EQ(winners_of(path, 2, announce), (Documents{"22"}));
        record_draw(path, kProcess, announce);
      } else {
        EXPECT_TRUE(record_draw(path, kProcess, announce)) << "not taken for a record";
        EXPECT_EQ(winners_of(path, 2, announce), (Documents{"22"}));
      }
      EXPECT_EQ(winners_of(path, 1, announce), (Documents{"13", "11"}));
      EXPECT_EQ(announcements, 1) << "recorded again, once";
      EXPECT_EQ(testing::read_file(dir.file("bets.csv.draw")), record);
    }
  }
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
  // A whole record, as its checksums say, whose second row is no winner's.
  const std::string rows = "1,11\n1\n";
  testing::write_file(dir.file("bets.csv.draw"),
                      encode_header({12, 1}) + encode_index_line({1, parts_offset(1), rows.size(), storage::rows_checksum(rows)}) + rows);
  try {
    winners_of(path, 1);
    FAIL() << "a row without 2 fields was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("bets.csv.draw (agency 1's part):2"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace tp0::draw
