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

// The addresses it remembers stay few, whatever the range of them: refused() sweeps when
// they pass twice those the last sweep kept (and 1024), forgetting the quiet ones, and a
// sweep also logs what waits. So a refusal left waiting is logged within about 1024 new
// addresses only if the sweep before forgot the quiet ones; else sweeps come ever rarer.
TEST(RefusalLog, AddressesQuietForAnIntervalAreForgotten) {
  RefusalLog refusals(10s);
  const Clock::time_point start = Clock::now();
  const std::string log = log_of([&] {
    for (int i = 0; i < 3500; ++i) {
      refusals.refused("10.1." + std::to_string(i), "refused: full", start + 20s * i);
      if (i == 2100) {
        refusals.refused("10.2.0.1", "refused: full", start + 20s * i);
        refusals.refused("10.2.0.1", "refused: waits for a sweep", start + 20s * i + 1ms);
      }
    }
  });
  // Each address refused once, long apart: one line each.
  EXPECT_EQ(count_of(log, "refused: 1 | error: refused: full"), 3501U);
  EXPECT_EQ(count_of(log, "ip: 10.2.0.1 | refused: 1 | error: refused: waits for a sweep"), 1U)
      << "no sweep within 1400 addresses: the quiet ones were kept";
  EXPECT_FALSE(refusals.next_due());
}

}  // namespace
}  // namespace tp0::server
