#include "common/logging/logging.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/net/address.h"

namespace tp0 {
namespace {

TEST(LoggingEvent, FollowsTheCourseFormatAndNeverCarriesPipesOrLineBreaks) {
  const auto event = logging::Event("receive_message", logging::Result::kSuccess)
                         .with("ip", "10.0.0.1")
                         .with("msg", "a | b\nc\r")
                         .with("count", 3);
  EXPECT_EQ(
      event.text(),
      "action: receive_message | result: success | ip: 10.0.0.1 | msg: a \\x7c b\\x0ac\\x0d | count: 3");
  EXPECT_EQ(logging::Event("x", logging::Result::kInProgress).text(), "action: x | result: in_progress");
  EXPECT_EQ(logging::Event("x", logging::Result::kFail).text(), "action: x | result: fail");
}

std::string logged_value(std::string_view value) {
  const std::string text = logging::Event("x", logging::Result::kFail).with("v", value).text();
  return text.substr(std::string_view("action: x | result: fail | v: ").size());
}

TEST(LoggingEvent, EscapesEveryByteThatIsNotPrintableUtf8) {
  using namespace std::string_literals;
  // Printable UTF-8 passes as it is: the names of the course's data set are Spanish.
  EXPECT_EQ(logged_value("Mu\xc3\xb1oz \xe2\x82\xac \xf0\x9f\x8e\xb2 ~"),
            "Mu\xc3\xb1oz \xe2\x82\xac \xf0\x9f\x8e\xb2 ~");
  // Controls: NUL, ESC (a terminal's escape sequences), VT, TAB, DEL.
  EXPECT_EQ(logged_value("a\0b"s), "a\\x00b");
  EXPECT_EQ(logged_value("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(logged_value("\v\t\x7f"), "\\x0b\\x09\\x7f");
  // The escape itself, so that an escaped line reads back to the bytes received.
  EXPECT_EQ(logged_value("\\x41"), "\\x5cx41");
  // Malformed UTF-8: a lone continuation byte, a truncated sequence, an overlong '/',
  // a surrogate, a code point past U+10FFFF, bytes that never start a sequence.
  EXPECT_EQ(logged_value("\x80"), "\\x80");
  EXPECT_EQ(logged_value("\xc3"), "\\xc3");
  EXPECT_EQ(logged_value("\xe2\x82"), "\\xe2\\x82");
  EXPECT_EQ(logged_value("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(logged_value("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
  EXPECT_EQ(logged_value("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(logged_value("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  EXPECT_EQ(logged_value("\xfe\xff"), "\\xfe\\xff");
  // Well formed but not printable: a C1 control, the line separator, a right-to-left override.
  EXPECT_EQ(logged_value("\xc2\x85"), "\\xc2\\x85");
  EXPECT_EQ(logged_value("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
  // The override is assembled from two literals so that no line of this file holds one.
  EXPECT_EQ(logged_value(std::string("\xe2\x80") + "\xae" + "abc"),
            "\\xe2\\x80\\xae"
            "abc");
}

// The settings quote values with the same escaper, so that an error stays one line.
TEST(LoggingEvent, EscapesWhatItLogsWithTheEscaperItExports) {
  const std::string value = "a|b\\c\nd\xff";
  EXPECT_EQ(logging::escaped(value), "a\\x7cb\\x5cc\\x0ad\\xff");
  EXPECT_EQ(logged_value(value), logging::escaped(value));
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
  for (const char* bad :
       {"server", "server:", ":80", "server:0", "server:65536", "server:http", "a:b:1", "[]:80"}) {
    EXPECT_THROW(net::split_host_port(bad), std::invalid_argument) << bad;
  }
}

TEST(NetAddress, NetworkOfAnAddressIsItsSlash24OrSlash64) {
  EXPECT_EQ(net::network_of("192.0.2.7"), "192.0.2.0/24");
  EXPECT_EQ(net::network_of("192.0.2.255"), net::network_of("192.0.2.1"));
  EXPECT_NE(net::network_of("192.0.3.1"), net::network_of("192.0.2.1"));
  EXPECT_EQ(net::network_of("::ffff:192.0.2.9"), "192.0.2.0/24");
  EXPECT_EQ(net::network_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(net::network_of("2001:db8:1:2::1"), net::network_of("2001:db8:1:2:ffff::9"));
  EXPECT_NE(net::network_of("2001:db8:1:3::1"), net::network_of("2001:db8:1:2::1"));
  EXPECT_EQ(net::network_of("?"), "?");
}

}  // namespace
}  // namespace tp0
