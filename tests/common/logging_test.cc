#include "common/logging/logging.h"

#include <gtest/gtest.h>

#include "common/net/address.h"

namespace tp0 {
namespace {

TEST(LoggingEvent, FollowsTheCourseFormatAndNeverCarriesPipesOrLineBreaks) {
  const auto event = logging::Event("receive_message", logging::Result::kSuccess)
                         .with("ip", "10.0.0.1")
                         .with("msg", "a | b\nc")
                         .with("count", 3);
  EXPECT_EQ(event.text(), "action: receive_message | result: success | ip: 10.0.0.1 | msg: a / b c | count: 3");
  EXPECT_EQ(logging::Event("x", logging::Result::kInProgress).text(), "action: x | result: in_progress");
  EXPECT_EQ(logging::Event("x", logging::Result::kFail).text(), "action: x | result: fail");
}

TEST(LoggingLevel, NamesEachLevelAsTheCourseDoes) {
  EXPECT_EQ(logging::level_name(logging::Level::kDebug), "DEBUG");
  EXPECT_EQ(logging::level_name(logging::Level::kInfo), "INFO");
  EXPECT_EQ(logging::level_name(logging::Level::kWarning), "WARNING");
  EXPECT_EQ(logging::level_name(logging::Level::kError), "ERROR");
  EXPECT_EQ(logging::level_name(logging::Level::kCritical), "CRITICAL");
}

TEST(NetAddress, SplitsHostAndPort) {
  EXPECT_EQ(net::split_host_port("server:12345").host, "server");
  EXPECT_EQ(net::split_host_port("server:12345").port, "12345");
  EXPECT_EQ(net::split_host_port("[::1]:80").host, "::1");
  for (const char* bad : {"server", "server:", ":80", "server:0", "server:65536", "server:http", "a:b:1", "[]:80"}) {
    EXPECT_THROW(net::split_host_port(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace tp0
