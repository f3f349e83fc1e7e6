#include "config/environment.h"

#include <stdlib.h>

#include <gtest/gtest.h>

namespace tp0::config {
namespace {

constexpr char kVariable[] = "TP0_CONFIG_TEST_ONLY_VARIABLE";

TEST(ConfigEnvironment, ProcessEnvironmentReadsSetVariables) {
  ASSERT_EQ(setenv(kVariable, "value", 1), 0);
  EXPECT_EQ(process_environment()(kVariable), "value");
  unsetenv(kVariable);
}

TEST(ConfigEnvironment, ProcessEnvironmentTreatsEmptyAsUnset) {
  ASSERT_EQ(setenv(kVariable, "", 1), 0);
  EXPECT_EQ(process_environment()(kVariable), std::nullopt);
  unsetenv(kVariable);
  EXPECT_EQ(process_environment()(kVariable), std::nullopt);
}

}  // namespace
}  // namespace tp0::config
