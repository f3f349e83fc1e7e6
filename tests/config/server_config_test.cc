#include "config/server_config.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/config/test_support.h"

namespace tp0::config {
namespace {

using namespace std::chrono_literals;
using testing::fake_environment;
using testing::ConfigFiles;
using testing::expect_config_error;

constexpr char kFullIni[] = R"([DEFAULT]
SERVER_PORT = 4000
SERVER_IP = 0.0.0.0
SERVER_LISTEN_BACKLOG = 50
LOGGING_LEVEL = debug
SERVER_MODE = echo
SERVER_CONCURRENCY = sequential
SERVER_AGENCIES = 3
STORAGE_FILEPATH = /data/bets.csv
SERVER_IDLE_TIMEOUT = 1m30s
SERVER_MAX_CHILDREN = 8
)";

class ConfigServer : public ::testing::Test {
 protected:
  ServerConfig load(const std::string& path) { return load_server_config(path, fake_environment(env_)); }
  ServerConfig load_ini(const std::string& ini) { return load(dir_.write("config.ini", ini)); }
  ServerConfig load_env_only() { return load(dir_.absent("config.ini")); }

  ConfigError expect_error(const std::string& path, const std::vector<std::string>& fragments) {
    return expect_config_error([&] { load(path); }, path, fragments);
  }

  ConfigFiles dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigServer, ReadsEveryKeyFromFile) {
  const ServerConfig config = load_ini(kFullIni);
  EXPECT_EQ(config.port, 4000);
  EXPECT_EQ(config.ip, "0.0.0.0");
  EXPECT_EQ(config.listen_backlog, 50);
  EXPECT_EQ(config.logging_level, "DEBUG");
  EXPECT_EQ(config.mode, ServerMode::kEcho);
  EXPECT_EQ(config.concurrency, Concurrency::kSequential);
  EXPECT_EQ(config.agencies, 3u);
  EXPECT_EQ(config.storage_path, "/data/bets.csv");
  EXPECT_EQ(config.idle_timeout, 90s);
  EXPECT_EQ(config.max_children, 8u);
}

TEST_F(ConfigServer, EnvironmentOverridesEveryKey) {
  env_ = {{"SERVER_PORT", "0"},           {"SERVER_IP", "127.0.0.1"},
          {"SERVER_LISTEN_BACKLOG", "1"}, {"LOGGING_LEVEL", "critical"},
          {"SERVER_MODE", "LOTTERY"},     {"SERVER_CONCURRENCY", "Process"},
          {"SERVER_AGENCIES", "10000"},   {"STORAGE_FILEPATH", "other.csv"},
          {"SERVER_IDLE_TIMEOUT", "1us"}, {"SERVER_MAX_CHILDREN", "1"}};
  const ServerConfig config = load_ini(kFullIni);
  EXPECT_EQ(config.port, 0);
  EXPECT_EQ(config.ip, "127.0.0.1");
  EXPECT_EQ(config.listen_backlog, 1);
  EXPECT_EQ(config.logging_level, "CRITICAL");
  EXPECT_EQ(config.mode, ServerMode::kLottery);
  EXPECT_EQ(config.concurrency, Concurrency::kProcess);
  EXPECT_EQ(config.agencies, 10000u);
  EXPECT_EQ(config.storage_path, "other.csv");
  EXPECT_EQ(config.idle_timeout, 1ms);  // rounded up, never to zero
  EXPECT_EQ(config.max_children, 1u);
}

TEST_F(ConfigServer, EnvironmentOverridesOnlyWhatItSets) {
  env_ = {{"SERVER_PORT", "5000"}, {"SERVER_IP", ""}};  // empty counts as unset
  const ServerConfig config = load_ini(kFullIni);
  EXPECT_EQ(config.port, 5000);
  EXPECT_EQ(config.ip, "0.0.0.0");
  EXPECT_EQ(config.agencies, 3u);
}

TEST_F(ConfigServer, DefaultsApplyWhenFileIsMissing) {
  const ServerConfig config = load_env_only();
  EXPECT_EQ(config.port, 12345);
  EXPECT_EQ(config.ip, "server");
  EXPECT_EQ(config.listen_backlog, 5);
  EXPECT_EQ(config.logging_level, "INFO");
  EXPECT_EQ(config.mode, ServerMode::kLottery);
  EXPECT_EQ(config.concurrency, Concurrency::kProcess);
  EXPECT_EQ(config.agencies, 5u);
  EXPECT_EQ(config.storage_path, "./bets.csv");
  EXPECT_EQ(config.idle_timeout, 30s);
  EXPECT_EQ(config.max_children, 64u);
}

TEST_F(ConfigServer, KeysAreCaseInsensitiveAndOtherSectionsIgnored) {
  const ServerConfig config = load_ini(
      "; comment\n# another\n[DEFAULT]\nserver_port = 7000\nUNKNOWN_KEY = 1\n"
      "[other]\nSERVER_AGENCIES = 0\n");
  EXPECT_EQ(config.port, 7000);
  EXPECT_EQ(config.agencies, 5u);
}

TEST_F(ConfigServer, EmptyFileIsAllDefaults) { EXPECT_EQ(load_ini("").port, 12345); }

TEST_F(ConfigServer, ParsesIdleTimeoutAsGoDuration) {
  env_ = {{"SERVER_IDLE_TIMEOUT", "1.5s"}};
  EXPECT_EQ(load_env_only().idle_timeout, 1500ms);
}

struct BadValue {
  std::string key;
  std::string value;
};

const std::vector<BadValue>& bad_values() {
  static const std::vector<BadValue> values = {
      {"SERVER_PORT", "70000"},
      {"SERVER_PORT", "65536"},
      {"SERVER_PORT", "-1"},
      {"SERVER_PORT", "abc"},
      {"SERVER_PORT", "12x"},
      {"SERVER_LISTEN_BACKLOG", "0"},
      {"SERVER_LISTEN_BACKLOG", "2147483648"},
      {"LOGGING_LEVEL", "LOUD"},
      {"SERVER_MODE", "x"},
      {"SERVER_CONCURRENCY", "threads"},
      {"SERVER_AGENCIES", "-1"},
      {"SERVER_AGENCIES", "10001"},
      {"SERVER_IDLE_TIMEOUT", "0s"},
      {"SERVER_IDLE_TIMEOUT", "0"},
      {"SERVER_IDLE_TIMEOUT", "-1s"},
      {"SERVER_IDLE_TIMEOUT", "30"},
      {"SERVER_IDLE_TIMEOUT", "abc"},
      {"SERVER_MAX_CHILDREN", "0"},
      {"SERVER_MAX_CHILDREN", "4294967296"},
  };
  return values;
}

TEST_F(ConfigServer, BadValueFromEnvironmentNamesKey) {
  for (const BadValue& bad : bad_values()) {
    SCOPED_TRACE(bad.key + "=" + bad.value);
    env_ = {{bad.key, bad.value}};
    const ConfigError error =
        expect_error(dir_.absent("config.ini"), {"invalid setting " + bad.key + ": \"" + bad.value + "\""});
    EXPECT_EQ(error.key(), bad.key);
  }
}

TEST_F(ConfigServer, BadValueFromFileNamesKey) {
  for (const BadValue& bad : bad_values()) {
    SCOPED_TRACE(bad.key + " = " + bad.value);
    env_.clear();
    const std::string path = dir_.write("config.ini", "[DEFAULT]\n" + bad.key + " = " + bad.value + "\n");
    EXPECT_EQ(expect_error(path, {"invalid setting " + bad.key + ":"}).key(), bad.key);
  }
}

TEST_F(ConfigServer, EmptyTextValuesInFileAreErrors) {
  expect_error(dir_.write("config.ini", "[DEFAULT]\nSERVER_IP =\n"), {"invalid setting SERVER_IP", "empty"});
  expect_error(dir_.write("config.ini", "[DEFAULT]\nSTORAGE_FILEPATH =\n"),
               {"invalid setting STORAGE_FILEPATH", "empty"});
}

TEST_F(ConfigServer, MalformedIniNamesFileAndLine) {
  const std::string path = dir_.write("config.ini", "[DEFAULT]\nSERVER_PORT = 1\nthis line is junk\n");
  const ConfigError error = expect_error(path, {"cannot parse " + path + ": line 3"});
  EXPECT_EQ(error.key(), "");
  expect_error(dir_.write("config.ini", "[DEFAULT\nSERVER_PORT = 1\n"), {"cannot parse", "line 1"});
}

TEST_F(ConfigServer, UnreadableFileIsAnError) { expect_error(dir_.path(), {"cannot read " + dir_.path()}); }

TEST_F(ConfigServer, ModeNames) {
  EXPECT_EQ(to_string(ServerMode::kEcho), "echo");
  EXPECT_EQ(to_string(ServerMode::kLottery), "lottery");
  EXPECT_EQ(to_string(Concurrency::kSequential), "sequential");
  EXPECT_EQ(to_string(Concurrency::kProcess), "process");
}

}  // namespace
}  // namespace tp0::config
