#include "config/duration.h"

#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tp0::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

const std::string kMicro = "\xC2\xB5";  // U+00B5, what Go prints
const std::string kMu = "\xCE\xBC";     // U+03BC, also accepted

struct Case {
  std::string text;
  nanoseconds value;
};

const std::vector<Case>& canonical_cases() {
  static const std::vector<Case> cases = {
      {"50ms", 50ms},
      {"1.5s", 1500ms},
      {"1m30s", 90s},
      {"5s", 5s},
      {"100ms", 100ms},
      {"0s", 0ns},
      {"1h0m0s", 1h},
      {"2h45m30.5s", 2h + 45min + 30s + 500ms},
      {"1.5" + kMicro + "s", 1500ns},
      {"300ns", 300ns},
      {"100ns", 100ns},
      {"-1.5s", -1500ms},
      {"1ns", 1ns},
      {"999ns", 999ns},
      {"1" + kMicro + "s", 1us},
      {"1.000001ms", 1000001ns},
      {"999.999999ms", 999999999ns},
      {"1.000000001s", 1000000001ns},
      {"1m1s", 61s},
      {"1h0m0.5s", 1h + 500ms},
      {"1h1m0s", 1h + 1min},
      {"-2562047h47m16.854775808s", nanoseconds::min()},
      {"2562047h47m16.854775807s", nanoseconds::max()},
  };
  return cases;
}

TEST(ConfigDuration, ParsesCanonicalText) {
  for (const Case& c : canonical_cases()) {
    EXPECT_EQ(parse_duration(c.text), c.value) << c.text;
  }
}

TEST(ConfigDuration, FormatsLikeGo) {
  for (const Case& c : canonical_cases()) {
    EXPECT_EQ(format_duration(c.value), c.text) << c.value.count();
  }
}

TEST(ConfigDuration, ParsesOtherSpellings) {
  EXPECT_EQ(parse_duration("0"), 0ns);
  EXPECT_EQ(parse_duration("-0"), 0ns);
  EXPECT_EQ(parse_duration("+0"), 0ns);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("+5s"), 5s);
  EXPECT_EQ(parse_duration(".5s"), 500ms);
  EXPECT_EQ(parse_duration("1.s"), 1s);
  EXPECT_EQ(parse_duration("1.5us"), 1500ns);
  EXPECT_EQ(parse_duration("1.5" + kMu + "s"), 1500ns);
  EXPECT_EQ(parse_duration("1.5m"), 90s);
  EXPECT_EQ(parse_duration("0.5h"), 30min);
  EXPECT_EQ(parse_duration("1h1m1s1ms1us1ns"), 1h + 1min + 1s + 1ms + 1us + 1ns);
  EXPECT_EQ(parse_duration("1s1s"), 2s);
  EXPECT_EQ(parse_duration("0.000000001s"), 1ns);
  EXPECT_EQ(parse_duration("1.0000000009s"), 1s);  // below a nanosecond: truncated
  EXPECT_EQ(parse_duration("0000050ms"), 50ms);
  EXPECT_EQ(parse_duration("9223372036854775807ns"), nanoseconds::max());
  EXPECT_EQ(parse_duration("-9223372036854775808ns"), nanoseconds::min());
  EXPECT_EQ(parse_duration("0.100000000000000000000000000001s"), 100ms);
}

TEST(ConfigDuration, RejectsInvalidText) {
  for (const std::string& text : std::vector<std::string>{
           "",    "5",   "5x",  "abc", "1.5.s", "s",    "-",    "+",  ".",    ".s",           "1s2",
           "1 s", " 1s", "1s ", "00",  "1e3s",  "--1s", "+-1s", "1S", "1sec", "1.5" + kMicro, "\xC2s"}) {
    EXPECT_THROW(parse_duration(text), std::invalid_argument) << '"' << text << '"';
  }
}

TEST(ConfigDuration, RejectsOverflow) {
  for (const std::string& text :
       std::vector<std::string>{"9223372036854775808ns", "-9223372036854775809ns", "2562048h",
                                "9999999999999999999999h", "2562047h47m16.854775808s",
                                "9223372036854775807ns1ns", "9223372036854775808ns9223372036854775808ns"}) {
    EXPECT_THROW(parse_duration(text), std::invalid_argument) << text;
  }
}

TEST(ConfigDuration, ErrorMessageQuotesText) {
  try {
    parse_duration("5x");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("\"5x\""), std::string::npos) << error.what();
  }
}

TEST(ConfigDuration, RoundTrips) {
  std::vector<std::int64_t> values = {0,
                                      1,
                                      -1,
                                      999,
                                      1000,
                                      1001,
                                      999999,
                                      1000000,
                                      999999999,
                                      1000000000,
                                      59999999999,
                                      60000000000,
                                      3599999999999,
                                      3600000000000,
                                      std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::min()};
  for (int exponent = 0; exponent <= 18; ++exponent) {
    std::int64_t power = 1;
    for (int i = 0; i < exponent; ++i) power *= 10;
    values.push_back(power);
    values.push_back(-power);
    values.push_back(power * 3 + 7);
  }
  std::mt19937_64 random(20240601);
  for (int i = 0; i < 20000; ++i) {
    const auto raw = static_cast<std::int64_t>(random());
    values.push_back(raw);
    values.push_back(raw >> (i % 63));  // spread over every magnitude
  }
  for (const std::int64_t value : values) {
    const nanoseconds duration(value);
    ASSERT_EQ(parse_duration(format_duration(duration)), duration) << format_duration(duration);
  }
}

}  // namespace
}  // namespace tp0::config
