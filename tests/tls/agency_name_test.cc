// Which agency a certificate's common name designates: the one rule the server's
// identification rests on.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "common/tls/session.h"

namespace tp0::testing {
namespace {

using tls::agency_named;

TEST(AgencyNamed, AgencyAndADecimalIdNameThatAgency) {
  EXPECT_EQ(agency_named("agency-1"), 1u);
  EXPECT_EQ(agency_named("agency-7"), 7u);
  EXPECT_EQ(agency_named("agency-10000"), 10000u);
  EXPECT_EQ(agency_named("agency-4294967295"), 4294967295u);
  // 0 is a name like any other; the round's membership refuses it (no member is 0).
  EXPECT_EQ(agency_named("agency-0"), 0u);
}

TEST(AgencyNamed, AnythingElseNamesNoAgency) {
  for (const std::string name :
       {"", "agency", "agency-", "agency-4294967296", "agency-99999999999999999999", "agency--1", "agency-+1",
        "agency- 1", "agency-1 ", " agency-1", "agency-1x", "agency-0x1", "agency-1.0", "Agency-1",
        "AGENCY-1", "agency_1", "agency1", "xagency-1", "server", "localhost", "agency-1/agency-2",
        // One spelling per agency: "agency-007" would be a second name for agency 7.
        "agency-007", "agency-00"}) {
    EXPECT_EQ(agency_named(name), std::nullopt) << '"' << name << '"';
  }
  // A common name with a NUL inside is not the part before it.
  EXPECT_EQ(agency_named(std::string("agency-1\0-2", 11)), std::nullopt);
  EXPECT_EQ(agency_named(std::string("agency-1\0", 9)), std::nullopt);
}

}  // namespace
}  // namespace tp0::testing
