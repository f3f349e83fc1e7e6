#include "server/round/round.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "server/storage/bets_file.h"
#include "tests/support/bets.h"
#include "tests/support/process.h"

namespace tp0::round {
namespace {

using testing::winning_bets_of;

TEST(Round, OnlyTheRoundsAgenciesHaveAPosition) {
  const Round round({12, 3, 7});
  EXPECT_EQ(round.size(), 3u);
  EXPECT_EQ(round.position_of(3), 0u);
  EXPECT_EQ(round.position_of(7), 1u);
  EXPECT_EQ(round.position_of(12), 2u);
  for (const std::uint32_t outsider : {0u, 1u, 4u, 13u, 4294967295u}) {
    EXPECT_FALSE(round.position_of(outsider).has_value()) << outsider;
  }
}

TEST(Round, TheDrawIsHeldWhenTheLastDistinctMemberFinishesAndClaimedOnce) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  Round round({3, 7, 12});
  storage::BetsFileWriter writer = round.writer(path, storage::Durability::kProcess);
  writer.stage(winning_bets_of(3, 2));
  ASSERT_EQ(writer.store_staged({3, 0}).outcome, storage::StoreOutcome::kStored);
  EXPECT_TRUE(writer.close_stream(3));
  EXPECT_FALSE(writer.close_stream(3)) << "finishing again changes nothing";
  EXPECT_TRUE(writer.close_stream(7));
  EXPECT_EQ(round.finished_count(), 2u);
  EXPECT_FALSE(round.drawn());
  EXPECT_FALSE(round.claim_the_draw()) << "claimed before the last member finished";
  writer.stage(winning_bets_of(3, 1));
  EXPECT_EQ(writer.store_staged({3, 2}).outcome, storage::StoreOutcome::kClosed) << "a finished member bets";
  EXPECT_TRUE(writer.close_stream(12));
  EXPECT_TRUE(round.drawn());
  EXPECT_TRUE(round.claim_the_draw());
  EXPECT_FALSE(round.claim_the_draw());
}

TEST(Round, ARoundOfNoAgenciesIsDrawnAtOnce) {
  Round round({});
  EXPECT_TRUE(round.drawn());
  EXPECT_TRUE(round.claim_the_draw());
}

TEST(Round, ResumedFromTheJournalItKnowsWhoFinishedAndHowManyBetsAreStored) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  {
    Round before({1, 2});
    storage::BetsFileWriter writer = before.writer(path, storage::Durability::kProcess);
    writer.stage(winning_bets_of(1, 3));
    ASSERT_EQ(writer.store_staged({1, 0}).outcome, storage::StoreOutcome::kStored);
    writer.stage(winning_bets_of(2, 4));
    ASSERT_EQ(writer.store_staged({2, 0}).outcome, storage::StoreOutcome::kStored);
    ASSERT_TRUE(writer.close_stream(2));
  }
  Round resumed({1, 2});
  const Round::Resumed found = resumed.resume(path, storage::Durability::kProcess);
  EXPECT_EQ(found.bets, 7u);
  EXPECT_EQ(resumed.finished_count(), 1u);
  EXPECT_FALSE(resumed.drawn());
  EXPECT_EQ(resumed.writer(path, storage::Durability::kProcess).stream_state(1).position, 3u);

  Round other({1, 3});
  try {
    other.resume(path, storage::Durability::kProcess);
    FAIL() << "a round of other agencies was taken up";
  } catch (const std::runtime_error& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("agency 2"), std::string::npos) << what;
    EXPECT_NE(what.find("SERVER_ROUND=new"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace tp0::round
