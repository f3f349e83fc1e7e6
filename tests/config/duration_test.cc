#include "config/duration.h"

#include <gtest/gtest.h>

#include <random>

namespace tp0::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

TEST(ConfigDuration, ParsesGoSyntax) {
  EXPECT_EQ(parse_duration("50ms"), 50ms);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("100ms"), 100ms);
  EXPECT_EQ(parse_duration("0"), 0ns);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("2h45m30.5s"), 2h + 45min + 30500ms);
  EXPECT_EQ(parse_duration("1.5µs"), 1500ns);
  EXPECT_EQ(parse_duration("1.5us"), 1500ns);
  EXPECT_EQ(parse_duration("300ns"), 300ns);
  EXPECT_EQ(parse_duration("-1.5s"), -1500ms);
  EXPECT_EQ(parse_duration(".5s"), 500ms);
}

TEST(ConfigDuration, RejectsWhatGoRejects) {
  for (const char* bad : {"", "5", "5x", "abc", "1.5.s", "s", "-", "1s5", "9999999999h"}) {
    EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
  }
}

TEST(ConfigDuration, FormatsAsGoPrints) {
  EXPECT_EQ(format_duration(50ms), "50ms");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(5s), "5s");
  EXPECT_EQ(format_duration(100ms), "100ms");
  EXPECT_EQ(format_duration(0ns), "0s");
  EXPECT_EQ(format_duration(1h), "1h0m0s");
  EXPECT_EQ(format_duration(2h + 45min + 30500ms), "2h45m30.5s");
  EXPECT_EQ(format_duration(1500ns), "1.5µs");
  EXPECT_EQ(format_duration(300ns), "300ns");
  EXPECT_EQ(format_duration(-1500ms), "-1.5s");
  EXPECT_EQ(format_duration(1001ms), "1.001s");
}

TEST(ConfigDuration, FormatThenParseGivesTheSameDuration) {
  std::mt19937_64 random(11);
  for (int i = 0; i < 10000; ++i) {
    const nanoseconds value(static_cast<std::int64_t>(random() >> (random() % 63)) *
                            (i % 2 == 0 ? 1 : -1));
    EXPECT_EQ(parse_duration(format_duration(value)), value) << format_duration(value);
  }
}

}  // namespace
}  // namespace tp0::config
