#include "server/draw/membership.h"

#include <gtest/gtest.h>

namespace tp0::draw {
namespace {

TEST(Membership, OnlyTheRoundsAgenciesHaveAPosition) {
  const Membership members({12, 3, 7});
  EXPECT_EQ(members.size(), 3u);
  EXPECT_EQ(members.position_of(3), 0u);
  EXPECT_EQ(members.position_of(7), 1u);
  EXPECT_EQ(members.position_of(12), 2u);
  for (const std::uint32_t outsider : {0u, 1u, 4u, 13u, 4294967295u}) {
    EXPECT_FALSE(members.position_of(outsider).has_value()) << outsider;
  }
}

TEST(Membership, AnEmptyRoundHasNoAgencies) {
  const Membership members({});
  EXPECT_EQ(members.size(), 0u);
  EXPECT_FALSE(members.position_of(1).has_value());
}

}  // namespace
}  // namespace tp0::draw
