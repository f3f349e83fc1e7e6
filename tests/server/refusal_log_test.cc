#include "server/refusal_log.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "common/logging/logging.h"
#include "tests/support/process.h"
#include "tests/support/stdout_to_file.h"

namespace tp0::server {
namespace {

using namespace std::chrono_literals;
using Clock = RefusalLog::Clock;

// The log lines `write` makes.
template <typename Write>
std::string log_of(Write write) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/log";
  {
    testing::StdoutToFile captured(path);
    write();
  }
  return testing::read_file(path);
}

std::size_t count_of(const std::string& text, const std::string& piece) {
  std::size_t count = 0;
  for (auto at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) ++count;
  return count;
}

TEST(RefusalLog, AnAddressRefusedInALoopGetsOneLinePerIntervalWithItsCount) {
  RefusalLog refusals(10s);
  const Clock::time_point start = Clock::now();
  std::optional<Clock::time_point> due;
  const std::string log = log_of([&] {
    for (int i = 0; i < 1000; ++i) refusals.refused("10.0.0.1", "refused: full", start + i * 1ms);
    due = refusals.next_due();
    refusals.log_due(start + 9s);  // not due yet: nothing
    refusals.refused("10.0.0.2", "refused: full", start + 2s);
    refusals.log_due(start + 10s);  // the 999 after the first line
    // Within the interval of the line at 10 s: counted, logged by log_all().
    refusals.refused("10.0.0.1", "refused: full", start + 11s);
    refusals.log_all();
  });
  EXPECT_EQ(due, start + 10s);
  EXPECT_EQ(count_of(log, "ip: 10.0.0.1"), 3U) << log;
  EXPECT_EQ(count_of(log, "ip: 10.0.0.2"), 1U) << log;
  EXPECT_EQ(count_of(log, "ip: 10.0.0.1 | refused: 1 | error: refused: full"), 2U) << log;
  EXPECT_EQ(count_of(log, "ip: 10.0.0.1 | refused: 999 | error: refused: full"), 1U) << log;
  EXPECT_FALSE(refusals.next_due());
}

TEST(RefusalLog, AddressesQuietForAnIntervalAreForgotten) {
  RefusalLog refusals(10s);
  const Clock::time_point start = Clock::now();
  const std::string log = log_of([&] {
    for (int i = 0; i < 5000; ++i) refusals.refused("10.1." + std::to_string(i), "refused: full", start + 20s * i);
  });
  // Each address refused once, long apart: one line each, and nothing waits.
  EXPECT_EQ(count_of(log, "refused: 1 |"), 5000U);
  EXPECT_FALSE(refusals.next_due());
  EXPECT_LE(refusals.addresses_known(), 2048U);
}

}  // namespace
}  // namespace tp0::server
