#include "config/server_config.h"

#include <gtest/gtest.h>

#include "tests/config/fake_environment.h"
#include "tests/support/process.h"

namespace tp0::config {
namespace {

using namespace std::chrono_literals;

class ServerConfigTest : public ::testing::Test {
 protected:
  std::string ini(const std::string& content) {
    testing::write_file(dir_.file("config.ini"), content);
    return dir_.file("config.ini");
  }
  std::string missing() const { return dir_.file("absent.ini"); }

  testing::TempDir dir_;
};

TEST_F(ServerConfigTest, ReadsTheCoursesFile) {
  const auto config = load_server_config(
      ini("[DEFAULT]\nSERVER_PORT = 12345\nSERVER_IP = server\nSERVER_LISTEN_BACKLOG = 8\n"
          "LOGGING_LEVEL = debug\n"),
      fake_environment({}));
  EXPECT_EQ(config.port, 12345);
  EXPECT_EQ(config.ip, "server");
  EXPECT_EQ(config.listen_backlog, 8);
  EXPECT_EQ(config.logging_level, "DEBUG");
}

TEST_F(ServerConfigTest, EnvironmentOverridesTheFile) {
  const auto config = load_server_config(
      ini("[DEFAULT]\nSERVER_PORT = 12345\nSERVER_AGENCIES = 5\n"),
      fake_environment({{"SERVER_PORT", "0"},
                        {"SERVER_IP", "127.0.0.1"},
                        {"SERVER_LISTEN_BACKLOG", "2"},
                        {"LOGGING_LEVEL", "error"},
                        {"SERVER_MODE", "echo"},
                        {"SERVER_CONCURRENCY", "sequential"},
                        {"SERVER_AGENCIES", "3"},
                        {"STORAGE_FILEPATH", "/tmp/b.csv"},
                        {"SERVER_IDLE_TIMEOUT", "1m30s"},
                        {"SERVER_MAX_CHILDREN", "7"}}));
  EXPECT_EQ(config.port, 0);
  EXPECT_EQ(config.ip, "127.0.0.1");
  EXPECT_EQ(config.listen_backlog, 2);
  EXPECT_EQ(config.logging_level, "ERROR");
  EXPECT_EQ(config.mode, ServerMode::kEcho);
  EXPECT_EQ(config.concurrency, Concurrency::kSequential);
  EXPECT_EQ(config.agencies, 3u);
  EXPECT_EQ(config.storage_path, "/tmp/b.csv");
  EXPECT_EQ(config.idle_timeout, 90s);
  EXPECT_EQ(config.max_children, 7u);
}

TEST_F(ServerConfigTest, MissingFileMeansDefaults) {
  const auto config = load_server_config(missing(), fake_environment({}));
  EXPECT_EQ(config.port, 12345);
  EXPECT_EQ(config.ip, "server");
  EXPECT_EQ(config.listen_backlog, 5);
  EXPECT_EQ(config.logging_level, "INFO");
  EXPECT_EQ(config.mode, ServerMode::kLottery);
  EXPECT_EQ(config.concurrency, Concurrency::kProcess);
  EXPECT_EQ(config.agencies, 5u);
  EXPECT_EQ(config.storage_path, "./bets.csv");
}

TEST_F(ServerConfigTest, EachBadValueIsAnErrorNamingItsKey) {
  const std::map<std::string, std::string> bad_values{
      {"SERVER_PORT", "70000"},        {"SERVER_LISTEN_BACKLOG", "0"},
      {"LOGGING_LEVEL", "LOUD"},       {"SERVER_MODE", "x"},
      {"SERVER_CONCURRENCY", "threads"}, {"SERVER_AGENCIES", "0"},
      {"SERVER_IDLE_TIMEOUT", "0"},    {"SERVER_MAX_CHILDREN", "-3"}};
  for (const auto& [variable, value] : bad_values) {
    const auto message =
        config_error_of([&] { load_server_config(missing(), fake_environment({{variable, value}})); });
    EXPECT_NE(message.find(variable), std::string::npos) << variable << "=" << value << ": " << message;
  }
  const auto in_file = config_error_of(
      [&] { load_server_config(ini("[DEFAULT]\nSERVER_PORT = twelve\n"), fake_environment({})); });
  EXPECT_NE(in_file.find("SERVER_PORT"), std::string::npos) << in_file;
}

TEST_F(ServerConfigTest, MalformedIniNamesTheFileAndLine) {
  const auto message = config_error_of(
      [&] { load_server_config(ini("[DEFAULT]\nSERVER_PORT = 1\nthis line is not a setting\n"), fake_environment({})); });
  EXPECT_NE(message.find("config.ini"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
}

}  // namespace
}  // namespace tp0::config
