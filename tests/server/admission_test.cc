#include "server/admission.h"

#include <gtest/gtest.h>

#include <string>

namespace tp0::server {
namespace {

// 8 children, 4 of them for strangers, 2 strangers per address.
Admission eight_children() { return Admission(8, 2); }

// How many more strangers, each from an address of its own, a copy of `admission` lets in
// while `running` children run: the strangers' share left.
std::size_t room_for_strangers(Admission admission, std::size_t running) {
  std::size_t room = 0;
  while (!admission.refusal("192.0.2." + std::to_string(room), running + room)) {
    admission.admitted(static_cast<pid_t>(900 + room), "192.0.2." + std::to_string(room));
    ++room;
  }
  return room;
}

TEST(Admission, StrangersShareHalfOfTheChildrenAndAFewPerAddress) {
  Admission admission = eight_children();
  EXPECT_FALSE(admission.refusal("10.0.0.1", 0));
  admission.admitted(101, "10.0.0.1");
  admission.admitted(102, "10.0.0.1");
  const auto third_from_one_address = admission.refusal("10.0.0.1", 2);
  ASSERT_TRUE(third_from_one_address);
  EXPECT_NE(third_from_one_address->find("SERVER_MAX_INTRODUCTIONS_PER_ADDRESS"), std::string::npos);

  EXPECT_FALSE(admission.refusal("10.0.0.2", 2));
  admission.admitted(103, "10.0.0.2");
  admission.admitted(104, "10.0.0.3");
  const auto fifth_stranger = admission.refusal("10.0.0.4", 4);
  ASSERT_TRUE(fifth_stranger);
  EXPECT_NE(fifth_stranger->find("half of SERVER_MAX_CHILDREN"), std::string::npos);
}

TEST(Admission, AMemberNoLongerCountsAsAStrangerSoStrangersCannotTakeTheMembersChildren) {
  Admission admission = eight_children();
  admission.admitted(101, "10.0.0.1");
  admission.admitted(102, "10.0.0.1");
  ASSERT_TRUE(admission.refusal("10.0.0.1", 2));
  EXPECT_FALSE(admission.identified(101, 7));
  EXPECT_EQ(room_for_strangers(admission, 2), 3U);
  EXPECT_FALSE(admission.refusal("10.0.0.1", 2));

  // Members fill what strangers may not: every child is then taken.
  for (pid_t child = 201; child <= 205; ++child) {
    admission.admitted(child, "10.0.1." + std::to_string(child));
    admission.identified(child, static_cast<std::uint32_t>(child));
  }
  const auto full = admission.refusal("10.0.0.9", 8);
  ASSERT_TRUE(full);
  EXPECT_NE(full->find("SERVER_MAX_CHILDREN"), std::string::npos);
}

TEST(Admission, AStrangerThatLeavesGivesItsPlaceBack) {
  Admission admission = eight_children();
  admission.admitted(101, "10.0.0.1");
  admission.admitted(102, "10.0.0.1");
  ASSERT_TRUE(admission.refusal("10.0.0.1", 2));
  admission.exited(102);
  EXPECT_FALSE(admission.refusal("10.0.0.1", 1));
  admission.exited(999);  // never admitted: nothing changes
  EXPECT_EQ(room_for_strangers(admission, 1), 3U);
}

TEST(Admission, AMembersNewConversationReplacesTheOlderOne) {
  Admission admission = eight_children();
  admission.admitted(101, "10.0.0.1");
  EXPECT_FALSE(admission.identified(101, 3));
  admission.admitted(102, "10.0.0.2");
  EXPECT_EQ(admission.identified(102, 3), 101);
  // The older one exits: the newer stays the member's conversation.
  admission.exited(101);
  admission.admitted(103, "10.0.0.3");
  EXPECT_EQ(admission.identified(103, 3), 102);
  // Another member is not affected, and a report for a child already gone is ignored.
  admission.admitted(104, "10.0.0.4");
  EXPECT_FALSE(admission.identified(104, 4));
  EXPECT_FALSE(admission.identified(555, 4));
  // Nor is a second report of the same child.
  EXPECT_FALSE(admission.identified(104, 4));
}

TEST(Admission, OneChildSetsStrangersApartWhenTheLimitIsSmall) {
  EXPECT_EQ(room_for_strangers(Admission(2, 4), 0), 1U);
  EXPECT_EQ(room_for_strangers(Admission(1, 4), 0), 1U);
  EXPECT_EQ(room_for_strangers(Admission(64, 4), 0), 32U);
}

}  // namespace
}  // namespace tp0::server
