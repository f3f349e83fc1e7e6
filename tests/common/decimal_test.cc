#include "common/text/decimal.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "tests/support/seed.h"

namespace tp0::text {
namespace {

TEST(Decimal, ReadsDigitsWithLeadingZerosUpToTheTypesMaximum) {
  EXPECT_EQ(parse_decimal<std::uint16_t>("0"), 0);
  EXPECT_EQ(parse_decimal<std::uint16_t>("00012345"), 12345);
  EXPECT_EQ(parse_decimal<std::uint16_t>("65535"), 65535);
  EXPECT_EQ(parse_decimal<std::uint32_t>("4294967295"), 4294967295u);
  EXPECT_EQ(parse_decimal<std::uint64_t>("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_decimal<std::uint64_t>(std::string(100, '0') + "7"), 7u);
}

TEST(Decimal, RefusesAnythingButDigitsAndValuesPastTheType) {
  for (const char* bad :
       {"", "-0", "-1", "+1", " 1", "1 ", "1\n", "\t1", "1.0", "1e3", "0x10", "abc", "1,000", "12a"}) {
    EXPECT_EQ(parse_decimal<std::uint64_t>(bad), std::nullopt) << '"' << bad << '"';
  }
  EXPECT_EQ(parse_decimal<std::uint16_t>("65536"), std::nullopt);
  EXPECT_EQ(parse_decimal<std::uint32_t>("4294967296"), std::nullopt);
  EXPECT_EQ(parse_decimal<std::uint64_t>("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_decimal<std::uint64_t>(std::string(1000, '9')), std::nullopt);
}

TEST(Decimal, ReadsBackWhatToStringWrites) {
  std::mt19937_64 random(testing::test_seed());
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t value = random() >> (random() % 64);
    ASSERT_EQ(parse_decimal<std::uint64_t>(std::to_string(value)), value);
    if (value <= std::numeric_limits<std::uint32_t>::max()) {
      ASSERT_EQ(parse_decimal<std::uint32_t>(std::to_string(value)), value);
    } else {
      ASSERT_EQ(parse_decimal<std::uint32_t>(std::to_string(value)), std::nullopt) << value;
    }
  }
}

}  // namespace
}  // namespace tp0::text
