#include "server/admission.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

namespace tp0::server {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Clock = Admission::Clock;

const Clock::time_point kStart = Clock::now();

// 8 children, 4 of them for strangers, 2 strangers per network, 1000 new connections a
// second per network, a member's conversation replaced once a second.
Admission eight_children(std::uint32_t per_second = 1000) { return Admission(8, 2, per_second, 1000ms); }

// Lets a connection from `address` in as the accept loop does, as child `pid`; returns
// what admission said.
Admission::Entry admit(Admission& admission, pid_t pid, const std::string& address, std::size_t running,
                       Clock::time_point now = kStart) {
  Admission::Entry entry = admission.enter(address, running, now);
  if (entry.admitted) admission.admitted(pid, address);
  return entry;
}

// A clash as one value, compared in one assertion: replaced, then who is ended and who
// goes on, each with its address.
std::tuple<bool, pid_t, std::string, pid_t, std::string> fields(const Admission::Clash& clash) {
  return {clash.replaced, clash.ended, clash.ended_address, clash.kept, clash.kept_address};
}

// How many more strangers, each from a network of its own, a copy of `admission` lets in
// while `running` children run before one displaces another: the strangers' share left.
std::size_t room_for_strangers(Admission admission, std::size_t running) {
  std::size_t room = 0;
  while (true) {
    const std::string address = "192.0." + std::to_string(room) + ".1";
    const Admission::Entry entry = admit(admission, static_cast<pid_t>(900 + room), address, running + room);
    if (!entry.admitted || entry.displaced) return room;
    ++room;
  }
}

TEST(Admission, AFullNetworkDisplacesItsOwnOldestStranger) {
  Admission admission = eight_children();
  EXPECT_FALSE(admit(admission, 101, "10.0.0.1", 0).displaced);
  EXPECT_FALSE(admit(admission, 102, "10.0.0.2", 1).displaced);
  admit(admission, 103, "10.9.0.1", 2);
  // 10.0.0.0/24 holds two: a third from it takes the place of its oldest, not 10.9's.
  const Admission::Entry third = admit(admission, 104, "10.0.0.3", 3);
  ASSERT_TRUE(third.admitted);
  EXPECT_EQ(third.displaced, 101);
  EXPECT_EQ(third.displaced_address, "10.0.0.1");
  EXPECT_NE(third.why.find("10.0.0.0/24"), std::string::npos) << third.why;
  EXPECT_NE(third.why.find("SERVER_MAX_INTRODUCTIONS_PER_NETWORK"), std::string::npos) << third.why;
  EXPECT_EQ(admit(admission, 105, "10.0.0.4", 3).displaced, 102);
  EXPECT_EQ(admit(admission, 106, "10.0.0.5", 3).displaced, 104);
}

TEST(Admission, NetworksAreSlash24ForIPv4AndSlash64ForIPv6WithMappedIPv4AsIPv4) {
  Admission admission = eight_children();
  admit(admission, 101, "2001:db8:1:2::1", 0);
  admit(admission, 102, "2001:db8:1:2:ffff::9", 1);
  EXPECT_FALSE(admit(admission, 103, "2001:db8:1:3::1", 2).displaced) << "another /64";
  EXPECT_EQ(admit(admission, 104, "2001:db8:1:2::7", 3).displaced, 101);

  Admission mapped = eight_children();
  admit(mapped, 201, "::ffff:10.0.0.1", 0);
  admit(mapped, 202, "10.0.0.200", 1);
  EXPECT_EQ(admit(mapped, 203, "::ffff:10.0.0.3", 2).displaced, 201);
}

TEST(Admission, AFullShareDisplacesTheOldestStrangerOfAll) {
  Admission admission = eight_children();
  EXPECT_EQ(room_for_strangers(admission, 0), 4U);
  for (pid_t child = 101; child <= 104; ++child) {
    admit(admission, child, "10.0." + std::to_string(child) + ".1", static_cast<std::size_t>(child - 101));
  }
  for (pid_t newer = 105; newer <= 108; ++newer) {
    const Admission::Entry entry = admit(admission, newer, "10.1." + std::to_string(newer) + ".1", 4);
    ASSERT_TRUE(entry.admitted);
    EXPECT_EQ(entry.displaced, newer - 4) << "the oldest first";
    EXPECT_NE(entry.why.find("half of SERVER_MAX_CHILDREN"), std::string::npos) << entry.why;
  }
}

TEST(Admission, MembersKeepTheirRoomAndOnlyAStrangerIsEverDisplaced) {
  Admission admission = eight_children();
  admit(admission, 101, "10.0.0.1", 0);
  admit(admission, 102, "10.0.0.2", 1);
  EXPECT_FALSE(admission.identified(101, 7, kStart));
  // 101 is a member now: its network has room for one stranger more.
  EXPECT_FALSE(admit(admission, 103, "10.0.0.3", 2).displaced);
  EXPECT_EQ(admit(admission, 104, "10.0.0.4", 3).displaced, 102);
  // Members fill every child but the strangers' (103, 104): at the limit a newcomer takes
  // the oldest stranger's child, never a member's.
  for (pid_t child = 201; child <= 205; ++child) {
    admit(admission, child, "10.0." + std::to_string(child) + ".1", 2);
    admission.identified(child, static_cast<std::uint32_t>(child), kStart);
  }
  const Admission::Entry at_limit = admit(admission, 301, "10.5.0.1", 8);
  ASSERT_TRUE(at_limit.admitted);
  EXPECT_EQ(at_limit.displaced, 103);
  EXPECT_NE(at_limit.why.find("SERVER_MAX_CHILDREN"), std::string::npos) << at_limit.why;
  admission.identified(104, 104, kStart);
  admission.identified(301, 301, kStart);
  // Only members now: refused.
  const Admission::Entry full = admit(admission, 302, "10.6.0.1", 8);
  EXPECT_FALSE(full.admitted);
  EXPECT_FALSE(full.displaced);
  EXPECT_NE(full.why.find("SERVER_MAX_CHILDREN"), std::string::npos) << full.why;
}

TEST(Admission, AStrangerThatLeavesGivesItsPlaceBack) {
  Admission admission = eight_children();
  admit(admission, 101, "10.0.0.1", 0);
  admit(admission, 102, "10.0.0.1", 1);
  admission.exited(102);
  EXPECT_FALSE(admit(admission, 103, "10.0.0.1", 1).displaced);
  admission.exited(999);  // never admitted: nothing changes
  EXPECT_EQ(room_for_strangers(admission, 2), 2U);
}

TEST(Admission, ANetworkOpensAtMostItsRateOfConnectionsBeforeAnyFork) {
  Admission admission = eight_children(3);
  // A burst of a second's worth, then one more is refused; another network is not.
  for (pid_t child = 101; child <= 103; ++child) {
    EXPECT_TRUE(admit(admission, child, "10.0.0.1", 0).admitted);
    admission.exited(child);
  }
  const Admission::Entry fourth = admit(admission, 104, "10.0.0.2", 0);
  EXPECT_FALSE(fourth.admitted);
  EXPECT_NE(fourth.why.find("SERVER_INTRODUCTIONS_PER_SECOND"), std::string::npos) << fourth.why;
  EXPECT_NE(fourth.why.find("10.0.0.0/24"), std::string::npos) << fourth.why;
  EXPECT_TRUE(admit(admission, 105, "10.0.1.1", 0).admitted);
  // A third of a second later one more; a refused attempt spent nothing.
  EXPECT_FALSE(admit(admission, 106, "10.0.0.1", 0, kStart + 300ms).admitted);
  EXPECT_TRUE(admit(admission, 107, "10.0.0.1", 0, kStart + 340ms).admitted);
  EXPECT_FALSE(admit(admission, 108, "10.0.0.1", 0, kStart + 340ms).admitted);
  // Idle for long, the bucket holds a second's worth, no more.
  std::size_t admitted = 0;
  for (pid_t child = 200; child < 210; ++child) {
    if (admit(admission, child, "10.0.0.1", 0, kStart + 60s).admitted) ++admitted;
    admission.exited(child);
  }
  EXPECT_EQ(admitted, 3U);
}

TEST(Admission, ThousandsOfNetworksEachWithinItsRateAreAllAdmitted) {
  // More networks than admission remembers at once: forgetting them never refuses one
  // that stayed within its rate.
  Admission admission(8, 2, 1, 1000ms);
  for (int i = 0; i < 10000; ++i) {
    const std::string address = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1";
    ASSERT_TRUE(admit(admission, 1000 + i, address, 0, kStart + std::chrono::microseconds(i)).admitted) << i;
    admission.exited(1000 + i);
  }
}

TEST(Admission, AMembersConversationIsReplacedAtMostOncePerInterval) {
  Admission admission = eight_children();
  admit(admission, 101, "10.0.0.1", 0);
  EXPECT_FALSE(admission.identified(101, 3, kStart));
  admit(admission, 102, "10.0.9.2", 1);
  const auto first = admission.identified(102, 3, kStart + 10ms);
  ASSERT_TRUE(first);
  EXPECT_EQ(fields(*first), std::make_tuple(true, 101, "10.0.0.1"s, 102, "10.0.9.2"s));
  admission.exited(101);
  // Inside the interval the newer one is ended, and the older goes on.
  admit(admission, 103, "10.0.0.1", 1);
  const auto inside = admission.identified(103, 3, kStart + 1009ms);
  ASSERT_TRUE(inside);
  EXPECT_EQ(fields(*inside), std::make_tuple(false, 103, "10.0.0.1"s, 102, "10.0.9.2"s));
  // Past it, the newer replaces the older again.
  admit(admission, 104, "10.0.0.1", 1);
  const auto after = admission.identified(104, 3, kStart + 1010ms);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->replaced);
  EXPECT_EQ(after->ended, 102);
  // Another member is not affected, and a report for a child already gone is ignored.
  admit(admission, 105, "10.0.0.4", 1);
  EXPECT_FALSE(admission.identified(105, 4, kStart + 1010ms));
  EXPECT_FALSE(admission.identified(555, 4, kStart));
  // Nor is a second report of the same child.
  EXPECT_FALSE(admission.identified(105, 4, kStart));
}

TEST(Admission, AConversationAloneIsNeverRefusedWhateverTheLastReplacement) {
  Admission admission = eight_children();
  admit(admission, 101, "10.0.0.1", 0);
  admission.identified(101, 3, kStart);
  admit(admission, 102, "10.0.0.1", 1);
  ASSERT_TRUE(admission.identified(102, 3, kStart)->replaced);
  admission.exited(101);
  admission.exited(102);
  // Its client reconnects inside the interval, with no conversation left: it goes on.
  admit(admission, 103, "10.0.0.1", 0);
  EXPECT_FALSE(admission.identified(103, 3, kStart + 1ms));
}

TEST(Admission, OneChildSetsStrangersApartWhenTheLimitIsSmall) {
  EXPECT_EQ(room_for_strangers(Admission(2, 4, 100, 1000ms), 0), 1U);
  EXPECT_EQ(room_for_strangers(Admission(1, 4, 100, 1000ms), 0), 1U);
  EXPECT_EQ(room_for_strangers(Admission(64, 4, 100, 1000ms), 0), 32U);
}

}  // namespace
}  // namespace tp0::server
