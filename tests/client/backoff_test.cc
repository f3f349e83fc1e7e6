#include <chrono>

#include <gtest/gtest.h>

#include "common/net/backoff.h"

namespace tp0::net {
namespace {

using std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(Backoff, ThePatienceStartsAtTheFirstFailure) {
  Backoff backoff(1ms, 4ms, 10s);
  EXPECT_FALSE(backoff.gives_up_at().has_value()) << "no failure yet";
  const auto before = steady_clock::now();
  ASSERT_TRUE(backoff.another_attempt());
  ASSERT_TRUE(backoff.gives_up_at().has_value());
  EXPECT_GE(*backoff.gives_up_at(), before + 10s);
  EXPECT_LE(*backoff.gives_up_at(), steady_clock::now() + 10s);
  // Later failures of the same outage keep its end.
  const auto end = *backoff.gives_up_at();
  backoff.wait();
  ASSERT_TRUE(backoff.another_attempt());
  EXPECT_EQ(*backoff.gives_up_at(), end);
}

TEST(Backoff, ASuccessStartsANewPatienceAtTheNextFailure) {
  Backoff backoff(1ms, 4ms, 10s);
  ASSERT_TRUE(backoff.another_attempt());
  const auto first_end = *backoff.gives_up_at();
  backoff.succeeded();
  EXPECT_FALSE(backoff.gives_up_at().has_value());
  backoff.wait();  // a pause, so that the clock has moved
  ASSERT_TRUE(backoff.another_attempt());
  EXPECT_GT(*backoff.gives_up_at(), first_end);
}

TEST(Backoff, GivesUpOnceTheNextPauseWouldEndPastThePatience) {
  // The first pause, 50 ms, already ends past a patience of 10 ms.
  Backoff backoff(50ms, 100ms, 10ms);
  EXPECT_FALSE(backoff.another_attempt());
  Backoff patient(1ms, 1ms, 10s);
  EXPECT_TRUE(patient.another_attempt());
}

TEST(Backoff, PausesDoubleUpToTheLongestAndStartAgainAfterASuccess) {
  Backoff backoff(50ms, 100ms, 10s);
  const auto pause = [&] {
    const auto started = steady_clock::now();
    backoff.wait();
    return steady_clock::now() - started;
  };
  EXPECT_GE(pause(), 50ms);
  EXPECT_GE(pause(), 100ms);
  const auto capped = pause();
  EXPECT_GE(capped, 100ms);
  EXPECT_LT(capped, 190ms) << "the pause went past the longest";
  backoff.succeeded();
  EXPECT_LT(pause(), 95ms) << "a success did not bring the pauses back to the first";
}

}  // namespace
}  // namespace tp0::net
