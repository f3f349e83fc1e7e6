#include "config/server_config.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/config/test_support.h"

namespace tp0::config {
namespace {

using namespace std::chrono_literals;

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
SERVER_HELLO_TIMEOUT = 10s
SERVER_FRAME_TIMEOUT = 2s
SERVER_CONVERSATION_BUDGET = 1m
SERVER_MAX_BETS_PER_AGENCY = 500
SERVER_MAX_INTRODUCTIONS_PER_NETWORK = 2
SERVER_INTRODUCTIONS_PER_SECOND = 30
SERVER_REPLACE_INTERVAL = 250ms
)";

constexpr char kConfigServerTls[] = "SERVER_TLS";
using ConfigServer = testing::ConfigTest<ServerConfig, &load_server_config, kConfigServerTls>;

TEST_F(ConfigServer, ReadsEveryKeyFromFile) {
  const ServerConfig config = load_text(kFullIni);
  EXPECT_EQ(config.port, 4000);
  EXPECT_EQ(config.ip, "0.0.0.0");
  EXPECT_EQ(config.listen_backlog, 50);
  EXPECT_EQ(config.logging_level, logging::Level::kDebug);
  EXPECT_EQ(config.mode, ServerMode::kEcho);
  EXPECT_EQ(config.concurrency, Concurrency::kSequential);
  EXPECT_EQ(config.agency_ids, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(config.storage_path, "/data/bets.csv");
  EXPECT_EQ(config.idle_timeout, 90s);
  EXPECT_EQ(config.hello_timeout, 10s);
  EXPECT_EQ(config.frame_timeout, 2s);
  EXPECT_EQ(config.conversation_budget, 60s);
  EXPECT_EQ(config.max_children, 8u);
  EXPECT_EQ(config.max_bets_per_agency, 500u);
  EXPECT_EQ(config.max_introductions_per_network, 2u);
  EXPECT_EQ(config.introductions_per_second, 30u);
  EXPECT_EQ(config.replace_interval, 250ms);
}

TEST_F(ConfigServer, EnvironmentOverridesEveryKey) {
  const tls::Credentials files{dir_.write("s.crt", "certificate"), dir_.write("s.key", "key"),
                               dir_.write("c.crt", "ca")};
  env_ = {{"SERVER_PORT", "0"},
          {"SERVER_IP", "127.0.0.1"},
          {"SERVER_LISTEN_BACKLOG", "1"},
          {"LOGGING_LEVEL", "critical"},
          {"SERVER_MODE", "LOTTERY"},
          {"SERVER_CONCURRENCY", "Process"},
          {"SERVER_AGENCIES", "10000"},
          {"STORAGE_FILEPATH", "other.csv"},
          {"SERVER_IDLE_TIMEOUT", "1us"},
          {"SERVER_MAX_CHILDREN", "2"},
          {"SERVER_HELLO_TIMEOUT", "2500us"},
          {"SERVER_FRAME_TIMEOUT", "1500us"},
          {"SERVER_CONVERSATION_BUDGET", "250ms"},
          {"SERVER_ROUND", "New"},
          {"SERVER_DURABILITY", "MACHINE"},
          {"SERVER_TLS", "On"},
          {"SERVER_TLS_CERT", files.certificate},
          {"SERVER_TLS_KEY", files.key},
          {"SERVER_TLS_CA", files.authority},
          {"SERVER_MAX_BETS_PER_AGENCY", "1"},
          {"SERVER_MAX_INTRODUCTIONS_PER_NETWORK", "1"},
          {"SERVER_INTRODUCTIONS_PER_SECOND", "1"},
          {"SERVER_REPLACE_INTERVAL", "0s"}};
  const ServerConfig config = load_text(kFullIni);
  EXPECT_EQ(config.port, 0);
  EXPECT_EQ(config.ip, "127.0.0.1");
  EXPECT_EQ(config.listen_backlog, 1);
  EXPECT_EQ(config.logging_level, logging::Level::kCritical);
  EXPECT_EQ(config.mode, ServerMode::kLottery);
  EXPECT_EQ(config.concurrency, Concurrency::kProcess);
  EXPECT_EQ(config.agency_ids.size(), 10000u);
  EXPECT_EQ(config.storage_path, "other.csv");
  EXPECT_EQ(config.idle_timeout, 1ms);   // rounded up, never to zero
  EXPECT_EQ(config.hello_timeout, 3ms);  // rounded up
  EXPECT_EQ(config.frame_timeout, 2ms);  // rounded up
  EXPECT_EQ(config.conversation_budget, 250ms);
  EXPECT_EQ(config.max_children, 2u);
  EXPECT_EQ(config.max_bets_per_agency, 1u);
  EXPECT_EQ(config.max_introductions_per_network, 1u);
  EXPECT_EQ(config.introductions_per_second, 1u);
  EXPECT_EQ(config.replace_interval, 0ms);
  EXPECT_EQ(config.round, RoundStart::kNew);
  EXPECT_EQ(config.durability, Durability::kMachine);
  EXPECT_EQ(config.tls, files);
}

// A process lottery server spends one child on its waiting room, so it needs a second
// for connections; the other servers need no room.
TEST_F(ConfigServer, AProcessLotteryServerNeedsTwoChildren) {
  env_ = {{"SERVER_MAX_CHILDREN", "1"}};
  expect_error(dir_.absent("config.ini"),
               {"invalid setting SERVER_MAX_CHILDREN: ", "must be at least 2 for a process lottery server"});
  env_ = {{"SERVER_MAX_CHILDREN", "1"}, {"SERVER_CONCURRENCY", "sequential"}};
  EXPECT_EQ(load_text("").max_children, 1u);
  env_ = {{"SERVER_MAX_CHILDREN", "1"}, {"SERVER_MODE", "echo"}};
  EXPECT_EQ(load_text("").max_children, 1u);
}

TEST_F(ConfigServer, EnvironmentOverridesOnlyWhatItSets) {
  env_ = {{"SERVER_PORT", "5000"}, {"SERVER_IP", ""}};  // empty counts as unset
  const ServerConfig config = load_text(kFullIni);
  EXPECT_EQ(config.port, 5000);
  EXPECT_EQ(config.ip, "0.0.0.0");
  EXPECT_EQ(config.agency_ids.size(), 3u);
}

TEST_F(ConfigServer, DefaultsApplyWhenFileIsMissing) {
  const ServerConfig config = load_env_only();
  EXPECT_EQ(config.port, 12345);
  EXPECT_EQ(config.ip, "server");
  EXPECT_EQ(config.listen_backlog, 5);
  EXPECT_EQ(config.logging_level, logging::Level::kInfo);
  EXPECT_EQ(config.mode, ServerMode::kLottery);
  EXPECT_EQ(config.concurrency, Concurrency::kProcess);
  EXPECT_EQ(config.agency_ids, (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(config.storage_path, "./bets.csv");
  EXPECT_EQ(config.idle_timeout, 30s);
  EXPECT_EQ(config.hello_timeout, 3s);
  EXPECT_EQ(config.frame_timeout, 5s);
  EXPECT_EQ(config.conversation_budget, 5s);
  EXPECT_EQ(config.max_children, 64u);
  EXPECT_EQ(config.max_bets_per_agency, 10'000'000u);
  EXPECT_EQ(config.max_introductions_per_network, 16u);
  EXPECT_EQ(config.introductions_per_second, 200u);
  EXPECT_EQ(config.replace_interval, 1s);
  EXPECT_EQ(config.round, RoundStart::kResume) << "a restarted server goes on with its round";
  EXPECT_EQ(config.durability, Durability::kProcess);
}

TEST_F(ConfigServer, DefaultMembersMatchLoadedDefaults) {
  const ServerConfig loaded = load_env_only();
  const ServerConfig built;
  EXPECT_EQ(built.agency_ids, loaded.agency_ids);
  EXPECT_EQ(built.hello_timeout, loaded.hello_timeout);
  EXPECT_EQ(built.frame_timeout, loaded.frame_timeout);
  EXPECT_EQ(built.conversation_budget, loaded.conversation_budget);
}

TEST_F(ConfigServer, KeysAreCaseInsensitiveAndOtherSectionsIgnored) {
  const ServerConfig config = load_text(
      "; comment\n# another\n[DEFAULT]\nserver_port = 7000\nUNKNOWN_KEY = 1\n"
      "[other]\nSERVER_AGENCIES = 0\n");
  EXPECT_EQ(config.port, 7000);
  EXPECT_EQ(config.agency_ids.size(), 5u);
}

TEST_F(ConfigServer, LoggingLevelIsOneOfTheCoursesNamesInAnyCase) {
  const std::pair<const char*, logging::Level> levels[] = {{"debug", logging::Level::kDebug},
                                                           {"INFO", logging::Level::kInfo},
                                                           {"Warning", logging::Level::kWarning},
                                                           {"ERROR", logging::Level::kError},
                                                           {"critical", logging::Level::kCritical}};
  for (const auto& [text, level] : levels) {
    env_ = {{"LOGGING_LEVEL", text}};
    EXPECT_EQ(load_text("").logging_level, level) << text;
  }
  env_ = {{"LOGGING_LEVEL", "WARN"}};
  expect_error(
      dir_.write("config.ini", ""),
      {"invalid setting LOGGING_LEVEL: \"WARN\" is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"});
}

TEST_F(ConfigServer, EmptyFileIsAllDefaults) { EXPECT_EQ(load_text("").port, 12345); }

TEST_F(ConfigServer, ParsesIdleTimeoutAsGoDuration) {
  env_ = {{"SERVER_IDLE_TIMEOUT", "1.5s"}};
  EXPECT_EQ(load_env_only().idle_timeout, 1500ms);
}

TEST_F(ConfigServer, ParsesHelloTimeoutAsGoDuration) {
  env_ = {{"SERVER_HELLO_TIMEOUT", "1m0.25s"}};
  EXPECT_EQ(load_env_only().hello_timeout, 60250ms);
  env_ = {{"SERVER_HELLO_TIMEOUT", "1ns"}};
  EXPECT_EQ(load_env_only().hello_timeout, 1ms);  // rounded up, never to zero
  env_ = {{"SERVER_HELLO_TIMEOUT", ""}};          // empty counts as unset
  EXPECT_EQ(load_text("[DEFAULT]\nSERVER_HELLO_TIMEOUT = 500ms\n").hello_timeout, 500ms);
}

TEST_F(ConfigServer, ParsesFrameTimeoutAsGoDuration) {
  env_ = {{"SERVER_FRAME_TIMEOUT", "1m0.25s"}};
  EXPECT_EQ(load_env_only().frame_timeout, 60250ms);
  env_ = {{"SERVER_FRAME_TIMEOUT", "1ns"}};
  EXPECT_EQ(load_env_only().frame_timeout, 1ms);  // rounded up, never to zero
  env_ = {{"SERVER_FRAME_TIMEOUT", ""}};          // empty counts as unset
  EXPECT_EQ(load_text("[DEFAULT]\nSERVER_FRAME_TIMEOUT = 500ms\n").frame_timeout, 500ms);
}

TEST_F(ConfigServer, AgencyIdsFollowAgencyCountWhenNotListed) {
  env_ = {{"SERVER_AGENCIES", "3"}};
  EXPECT_EQ(load_env_only().agency_ids, (std::vector<std::uint32_t>{1, 2, 3}));
  env_ = {{"SERVER_AGENCIES", "0"}};
  const ServerConfig none = load_env_only();
  EXPECT_TRUE(none.agency_ids.empty());
  env_ = {{"SERVER_AGENCIES", "10000"}};
  const ServerConfig most = load_env_only();
  ASSERT_EQ(most.agency_ids.size(), 10000u);
  EXPECT_EQ(most.agency_ids.front(), 1u);
  EXPECT_EQ(most.agency_ids.back(), 10000u);
}

TEST_F(ConfigServer, ReadsAgencyIdsFromFile) {
  const ServerConfig config = load_text("[DEFAULT]\nSERVER_AGENCY_IDS = 3,7,12\n");
  EXPECT_EQ(config.agency_ids, (std::vector<std::uint32_t>{3, 7, 12}));
}

TEST_F(ConfigServer, EnvironmentOverridesAgencyIds) {
  env_ = {{"SERVER_AGENCY_IDS", "42"}};
  const ServerConfig config = load_text("[DEFAULT]\nSERVER_AGENCY_IDS = 3,7,12\n");
  EXPECT_EQ(config.agency_ids, (std::vector<std::uint32_t>{42}));
  env_ = {{"SERVER_AGENCY_IDS", ""}};  // empty counts as unset
  EXPECT_EQ(load_text("[DEFAULT]\nSERVER_AGENCY_IDS = 3,7,12\n").agency_ids,
            (std::vector<std::uint32_t>{3, 7, 12}));
}

TEST_F(ConfigServer, AgencyIdsAreSortedAndMayHaveSpaces) {
  env_ = {{"SERVER_AGENCY_IDS", " 12 ,3,\t4294967295 ,  7,1 "}};
  const ServerConfig config = load_env_only();
  EXPECT_EQ(config.agency_ids, (std::vector<std::uint32_t>{1, 3, 7, 12, 4294967295u}));
}

TEST_F(ConfigServer, AgencyIdsMayListTenThousand) {
  std::string ids;
  for (int id = 10000; id >= 1; --id) ids += std::to_string(id) + (id > 1 ? "," : "");
  env_ = {{"SERVER_AGENCY_IDS", ids}};
  const ServerConfig config = load_env_only();
  ASSERT_EQ(config.agency_ids.size(), 10000u);
  EXPECT_EQ(config.agency_ids.front(), 1u);
  EXPECT_EQ(config.agency_ids.back(), 10000u);
}

TEST_F(ConfigServer, AgencyCountThatAgreesWithIdsIsFine) {
  env_ = {{"SERVER_AGENCIES", "3"}};
  const ServerConfig config = load_text("[DEFAULT]\nSERVER_AGENCY_IDS = 9, 2, 5\n");
  EXPECT_EQ(config.agency_ids, (std::vector<std::uint32_t>{2, 5, 9}));
  env_.clear();
  EXPECT_EQ(load_text("[DEFAULT]\nSERVER_AGENCIES = 1\nSERVER_AGENCY_IDS = 8\n").agency_ids.size(), 1u);
}

TEST_F(ConfigServer, AgencyCountThatDisagreesWithIdsIsAnError) {
  // Both in the environment.
  env_ = {{"SERVER_AGENCY_IDS", "3,7,12"}, {"SERVER_AGENCIES", "5"}};
  expect_error(
      dir_.absent("config.ini"),
      {"invalid setting SERVER_AGENCY_IDS: lists 3 agencies but SERVER_AGENCIES is 5: the two disagree"});
  // Both in the file, even when the count equals the default.
  env_.clear();
  expect_error(dir_.write("config.ini", "[DEFAULT]\nSERVER_AGENCIES = 5\nSERVER_AGENCY_IDS = 1,2\n"),
               {"invalid setting SERVER_AGENCY_IDS: lists 2 agencies but SERVER_AGENCIES is 5"});
  // Count in the file, ids in the environment.
  env_ = {{"SERVER_AGENCY_IDS", "1"}};
  expect_error(dir_.write("config.ini", "[DEFAULT]\nSERVER_AGENCIES = 0\n"),
               {"invalid setting SERVER_AGENCY_IDS: lists 1 agencies but SERVER_AGENCIES is 0"});
}

TEST_F(ConfigServer, AgencyCountAloneFollowsIds) {
  env_ = {{"SERVER_AGENCY_IDS", "3,7,12"}};  // SERVER_AGENCIES not set: its default yields
  EXPECT_EQ(load_env_only().agency_ids.size(), 3u);
}

TEST_F(ConfigServer, BadAgencyIdsNameKeyAndItem) {
  struct Case {
    std::string value;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"3,x,7", "\"x\" is not a whole number from 1 to 4294967295"},
      {"3, 0 ,7", "\"0\" is not a whole number from 1 to 4294967295"},
      {"4294967296", "\"4294967296\" is not a whole number from 1 to 4294967295"},
      {"99999999999999999999999", "\"99999999999999999999999\" is not a whole number"},
      {"-1", "\"-1\" is not a whole number"},
      {"+1", "\"+1\" is not a whole number"},
      {"1 2,3", "\"1 2\" is not a whole number"},
      {"3;7", "\"3;7\" is not a whole number"},
      {"3,7,3", "agency 3 is listed more than once"},
      {"12, 012", "agency 12 is listed more than once"},
      {"3,,7", "item 2 is empty"},
      {",3", "item 1 is empty"},
      {"3,7,", "item 3 is empty"},
      {"3, ,7", "item 2 is empty"},
      {" ", "must not be empty"},
  };
  for (const Case& bad : cases) {
    SCOPED_TRACE("SERVER_AGENCY_IDS=" + bad.value);
    env_ = {{"SERVER_AGENCY_IDS", bad.value}};
    expect_error(dir_.absent("config.ini"), {"invalid setting SERVER_AGENCY_IDS: " + bad.problem});
  }
}

TEST_F(ConfigServer, EmptyAgencyIdsInFileIsAnError) {
  const std::string path = dir_.write("config.ini", "[DEFAULT]\nSERVER_AGENCY_IDS =\n");
  expect_error(path, {"invalid setting SERVER_AGENCY_IDS: must not be empty"});
}

TEST_F(ConfigServer, MoreThanTenThousandAgencyIdsIsAnError) {
  std::string ids;
  for (int id = 1; id <= 10001; ++id) ids += (id > 1 ? "," : "") + std::to_string(id);
  env_ = {{"SERVER_AGENCY_IDS", ids}};
  expect_error(dir_.absent("config.ini"),
               {"invalid setting SERVER_AGENCY_IDS: more than 10000 agency ids (item 10001 is \"10001\")"});
}

// "SERVER_AGENCY_IDS = 1,2,...,N" with as many ids as fit in `length` characters.
std::string agency_ids_line(std::size_t length) {
  std::string line = "SERVER_AGENCY_IDS = 1";
  for (int id = 2; line.size() + 1 + std::to_string(id).size() <= length; ++id) {
    line += "," + std::to_string(id);
  }
  line.append(length - line.size(), ' ');  // trailing blanks are trimmed
  return line;
}

TEST_F(ConfigServer, FileLineOfAtMost199CharactersIsReadWhole) {
  const std::string line = agency_ids_line(199);
  ASSERT_EQ(line.size(), 199u);
  const ServerConfig config = load_text("[DEFAULT]\n" + line + "\r\nSERVER_PORT = 1\n");
  ASSERT_EQ(config.agency_ids.size(), 63u);
  EXPECT_EQ(config.agency_ids.back(), 63u);  // not cut short
  EXPECT_EQ(config.port, 1);
  EXPECT_EQ(load_text("[DEFAULT]\n" + line).agency_ids.size(), 63u);
}

TEST_F(ConfigServer, LongerFileLineIsAnErrorNamingIt) {
  const std::string path =
      dir_.write("config.ini", "[DEFAULT]\nSERVER_PORT = 1\n" + agency_ids_line(200) + "\n");
  expect_error(path, {"cannot parse " + path + ": line 3 is longer than 199 characters"});
  expect_error(dir_.write("config.ini", "[DEFAULT]\nSTORAGE_FILEPATH = " + std::string(200, 'a') + "\n"),
               {"line 2 is longer than 199 characters"});
  expect_error(dir_.write("config.ini", "[DEFAULT]\n\nSTORAGE_FILEPATH = " + std::string(200, 'a') + "\n"),
               {"line 3 is longer than 199 characters"});
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
      {"SERVER_ROUND", "restart"},
      {"SERVER_DURABILITY", "disk"},
      {"SERVER_AGENCIES", "-1"},
      {"SERVER_AGENCIES", "10001"},
      {"SERVER_IDLE_TIMEOUT", "0s"},
      {"SERVER_IDLE_TIMEOUT", "0"},
      {"SERVER_IDLE_TIMEOUT", "-1s"},
      {"SERVER_IDLE_TIMEOUT", "30"},
      {"SERVER_IDLE_TIMEOUT", "abc"},
      {"SERVER_MAX_CHILDREN", "0"},
      {"SERVER_MAX_CHILDREN", "4294967296"},
      {"SERVER_MAX_BETS_PER_AGENCY", "0"},
      {"SERVER_MAX_BETS_PER_AGENCY", "4294967296"},
      {"SERVER_MAX_INTRODUCTIONS_PER_NETWORK", "0"},
      {"SERVER_MAX_INTRODUCTIONS_PER_NETWORK", "4294967296"},
      {"SERVER_INTRODUCTIONS_PER_SECOND", "0"},
      {"SERVER_REPLACE_INTERVAL", "-1s"},
      {"SERVER_AGENCY_IDS", "abc"},
      {"SERVER_AGENCY_IDS", "0"},
      {"SERVER_AGENCY_IDS", "4294967296"},
      {"SERVER_HELLO_TIMEOUT", "0s"},
      {"SERVER_HELLO_TIMEOUT", "0"},
      {"SERVER_HELLO_TIMEOUT", "-1s"},
      {"SERVER_HELLO_TIMEOUT", "3"},
      {"SERVER_HELLO_TIMEOUT", "abc"},
      {"SERVER_FRAME_TIMEOUT", "0s"},
      {"SERVER_FRAME_TIMEOUT", "0"},
      {"SERVER_FRAME_TIMEOUT", "-1s"},
      {"SERVER_FRAME_TIMEOUT", "5"},
      {"SERVER_FRAME_TIMEOUT", "abc"},
      {"SERVER_CONVERSATION_BUDGET", "0s"},
      {"SERVER_CONVERSATION_BUDGET", "5"},
  };
  return values;
}

TEST_F(ConfigServer, BadValueFromEnvironmentNamesKey) {
  for (const BadValue& bad : bad_values()) {
    SCOPED_TRACE(bad.key + "=" + bad.value);
    env_ = {{bad.key, bad.value}};
    expect_error(dir_.absent("config.ini"), {"invalid setting " + bad.key + ": \"" + bad.value + "\""});
  }
}

TEST_F(ConfigServer, BadValueFromFileNamesKey) {
  for (const BadValue& bad : bad_values()) {
    SCOPED_TRACE(bad.key + " = " + bad.value);
    env_.clear();
    const std::string path = dir_.write("config.ini", "[DEFAULT]\n" + bad.key + " = " + bad.value + "\n");
    expect_error(path, {"invalid setting " + bad.key + ":"});
  }
}

TEST_F(ConfigServer, BadValueIsQuotedAsTheLogEscapesIt) {
  env_ = {{"SERVER_PORT", "1\n2|\"3"}};
  expect_error(dir_.absent("config.ini"),
               {"invalid setting SERVER_PORT: \"1\\x0a2\\x7c\"3\" is not a whole number"});
}

TEST_F(ConfigServer, EmptyTextValuesInFileAreErrors) {
  expect_error(dir_.write("config.ini", "[DEFAULT]\nSERVER_IP =\n"), {"invalid setting SERVER_IP", "empty"});
  expect_error(dir_.write("config.ini", "[DEFAULT]\nSTORAGE_FILEPATH =\n"),
               {"invalid setting STORAGE_FILEPATH", "empty"});
}

TEST_F(ConfigServer, MalformedIniNamesFileAndLine) {
  const std::string path = dir_.write("config.ini", "[DEFAULT]\nSERVER_PORT = 1\nthis line is junk\n");
  expect_error(path, {"cannot parse " + path + ": line 3"});
  expect_error(dir_.write("config.ini", "[DEFAULT\nSERVER_PORT = 1\n"), {"cannot parse", "line 1"});
}

TEST_F(ConfigServer, UnreadableFileIsAnError) { expect_error(dir_.path(), {"cannot read " + dir_.path()}); }

TEST_F(ConfigServer, ConfigLineShowsTheSettingsTheCourseChecks) {
  env_ = {{"LOGGING_LEVEL", "debug"}};
  EXPECT_EQ(config_line(load_env_only()).text(),
            "action: config | result: success | port: 12345 | listen_backlog: 5 | logging_level: DEBUG");
  EXPECT_EQ(config_line(load_text("[DEFAULT]\nSERVER_PORT = 0\nSERVER_LISTEN_BACKLOG = 8\n")).text(),
            "action: config | result: success | port: 0 | listen_backlog: 8 | logging_level: DEBUG");
}

TEST_F(ConfigServer, ModeNames) {
  EXPECT_EQ(to_string(ServerMode::kEcho), "echo");
  EXPECT_EQ(to_string(ServerMode::kLottery), "lottery");
  EXPECT_EQ(to_string(Concurrency::kSequential), "sequential");
  EXPECT_EQ(to_string(Concurrency::kProcess), "process");
}

const tls::Credentials kDefaultServerFiles{".data/tls/server/server.crt", ".data/tls/server/server.key",
                                           ".data/tls/server/ca.crt"};

// The defaults are relative to the working directory: a server started at the
// repository's root finds the folder that scripts/make-certs.sh .data/tls makes.
TEST_F(ConfigServer, TlsIsOnByDefaultWithTheServersFolderOfMakeCerts) {
  tls_on();
  std::filesystem::create_directories(dir_.path() + "/.data/tls/server");
  for (const std::string& file :
       {kDefaultServerFiles.certificate, kDefaultServerFiles.key, kDefaultServerFiles.authority}) {
    dir_.write(file, "pem");
  }
  const testing::WorkingDirectory here(dir_.path());
  const ServerConfig config = load_env_only();
  EXPECT_EQ(config.tls, kDefaultServerFiles);
  EXPECT_EQ(ServerConfig{}.tls, kDefaultServerFiles) << "the built-in defaults";
}

TEST_F(ConfigServer, TlsWithoutTheDefaultFilesStartingIsAnErrorNamingTheSetting) {
  tls_on();
  const testing::WorkingDirectory here(dir_.path());
  expect_error(
      dir_.absent("config.ini"),
      {"invalid setting SERVER_TLS_CERT: cannot read \".data/tls/server/server.crt\": No such file or directory"});
}

TEST_F(ConfigServer, TlsTheEnvironmentNamesTheFiles) {
  tls_on();
  const tls::Credentials files = readable_files();
  set_files(files);
  EXPECT_EQ(load_env_only().tls, files);
}

TEST_F(ConfigServer, TlsTheFileNamesTheFilesAndTheEnvironmentOverridesIt) {
  tls_on();
  const tls::Credentials files = readable_files();
  const std::string ini = "[DEFAULT]\nSERVER_TLS = on\nSERVER_TLS_CERT = " + files.certificate +
                          "\nSERVER_TLS_KEY = " + files.key + "\nSERVER_TLS_CA = " + files.authority + "\n";
  EXPECT_EQ(load_text(ini).tls, files);
  const std::string other = dir_.write("other-ca.crt", "ca");
  env_ = {{"SERVER_TLS_CA", other}};
  EXPECT_EQ(load_text(ini).tls, (tls::Credentials{files.certificate, files.key, other}));
}

TEST_F(ConfigServer, TlsEachMissingOrUnreadableFileIsAnErrorNamingItsSetting) {
  tls_on();
  const tls::Credentials files = readable_files();
  const std::string absent = dir_.absent("absent.pem");
  const std::string folder = dir_.path();
  for (const char* key : {"SERVER_TLS_CERT", "SERVER_TLS_KEY", "SERVER_TLS_CA"}) {
    SCOPED_TRACE(key);
    set_files(files);
    env_[key] = absent;
    expect_error(dir_.absent("config.ini"), {std::string("invalid setting ") + key + ": cannot read \"" +
                                             absent + "\": No such file or directory"});
    env_[key] = folder;
    expect_error(dir_.absent("config.ini"),
                 {std::string("invalid setting ") + key + ": \"" + folder + "\" is not a file"});
  }
}

TEST_F(ConfigServer, TlsAKeyReadableByGroupOrOthersIsAnErrorNamingItAndItsMode) {
  tls_on();
  const tls::Credentials files = readable_files();
  set_files(files);
  for (const auto& [mode, octal] :
       {std::pair{std::filesystem::perms(0640), "0640"}, {std::filesystem::perms(0604), "0604"}}) {
    std::filesystem::permissions(files.key, mode);
    expect_error(dir_.absent("config.ini"),
                 {"invalid setting SERVER_TLS_KEY: \"" + files.key +
                  "\" is readable by group or others (mode " + octal + "): make it 0600"});
  }
}

// The revocation list scripts/make-certs.sh --revoke writes beside the server's CA.
TEST_F(ConfigServer, TlsTheRevocationListIsCrlPemBesideTheCaWhenItExists) {
  tls_on();
  set_files(readable_files());
  EXPECT_EQ(load_env_only().tls->revocations, "") << "no list: none revoked";
  const std::string beside = dir_.write("crl.pem", "list");
  EXPECT_EQ(load_env_only().tls->revocations, beside);
  env_["SERVER_TLS_CRL"] = dir_.write("other.pem", "list");
  EXPECT_EQ(load_env_only().tls->revocations, dir_.absent("other.pem"));
  env_["SERVER_TLS_CRL"] = dir_.absent("absent.pem");
  EXPECT_EQ(load_env_only().tls->revocations, "") << "a list not yet written: none revoked";
  env_["SERVER_TLS_CRL"] = dir_.path();
  expect_error(dir_.absent("config.ini"),
               {"invalid setting SERVER_TLS_CRL: \"" + dir_.path() + "\" is not a file"});
}

TEST_F(ConfigServer, TlsOffInAnyCaseNeedsNoFiles) {
  tls_on();
  const testing::WorkingDirectory here(dir_.path());  // no .data/tls here
  for (const char* off : {"off", "OFF", "Off"}) {
    env_ = {{"SERVER_TLS", off}, {"SERVER_TLS_CERT", dir_.absent("absent.crt")}};
    EXPECT_EQ(load_env_only().tls, std::nullopt) << off;
  }
  env_.clear();
  EXPECT_EQ(load_text("[DEFAULT]\nSERVER_TLS = off\n").tls, std::nullopt);
  env_ = {{"SERVER_TLS", "ON"}};
  set_files(readable_files());
  EXPECT_TRUE(load_env_only().tls.has_value());
}

// Echo mode is the netcat check's plain text.
TEST_F(ConfigServer, TlsEchoModeIsPlainTextAndNeedsNoFiles) {
  tls_on();
  const testing::WorkingDirectory here(dir_.path());
  env_ = {{"SERVER_MODE", "echo"}};
  EXPECT_EQ(load_env_only().tls, std::nullopt);
  env_["SERVER_TLS"] = "on";
  EXPECT_EQ(load_env_only().tls, std::nullopt);
}

TEST_F(ConfigServer, TlsABadValueIsAnErrorNamingServerTlsInEveryMode) {
  tls_on();
  for (const char* mode : {"lottery", "echo"}) {
    SCOPED_TRACE(mode);
    env_ = {{"SERVER_TLS", "maybe"}, {"SERVER_MODE", mode}};
    expect_error(dir_.absent("config.ini"), {"invalid setting SERVER_TLS: \"maybe\" is not one of off, on"});
    env_ = {{"SERVER_MODE", mode}};
    expect_error(dir_.write("config.ini", "[DEFAULT]\nSERVER_TLS = yes\n"),
                 {"invalid setting SERVER_TLS: \"yes\""});
  }
}

}  // namespace
}  // namespace tp0::config
