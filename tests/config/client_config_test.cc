#include "config/client_config.h"

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

// 11-byte frame header plus 146 bets of at most 56 bytes must fit in 8 KiB.
static_assert(11 + kDefaultBatchMaxAmount * 56 <= 8192);
static_assert(11 + (kDefaultBatchMaxAmount + 1) * 56 > 8192);

constexpr char kFullYaml[] = R"(id: 3
server:
  address: "lottery.example:9000"
  patience: 45s
  timeout: 3s
  drawTimeout: 20m
loop:
  amount: 7
  period: 250ms
log:
  level: debug
batch:
  maxAmount: 20
mode: batch
data:
  file: /data/agency-3.csv
winners:
  logDelay: 2s
)";

constexpr char kConfigClientTls[] = "CLI_TLS";
using ConfigClient = testing::ConfigTest<ClientConfig, &load_client_config, kConfigClientTls>;

TEST_F(ConfigClient, ReadsEveryKeyFromFile) {
  const ClientConfig config = load_text(kFullYaml);
  EXPECT_EQ(config.id, 3u);
  EXPECT_EQ(config.server_address, "lottery.example:9000");
  EXPECT_EQ(config.loop_amount, 7u);
  EXPECT_EQ(config.loop_period, 250ms);
  EXPECT_EQ(config.log_level, logging::Level::kDebug);
  EXPECT_EQ(config.batch_max_amount, 20u);
  EXPECT_EQ(config.mode, ClientMode::kBatch);
  EXPECT_EQ(config.data_file, "/data/agency-3.csv");
  EXPECT_EQ(config.winners_log_delay, 2s);
  EXPECT_EQ(config.server_patience, 45s);
  EXPECT_EQ(config.server_timeout, 3s);
  EXPECT_EQ(config.server_draw_timeout, 20min);
  EXPECT_FALSE(config.bet.has_value());
}

TEST_F(ConfigClient, EnvironmentOverridesEveryKey) {
  env_ = {{"CLI_ID", "9"},
          {"CLI_SERVER_ADDRESS", "[::1]:4000"},
          {"CLI_LOOP_AMOUNT", "0"},
          {"CLI_LOOP_PERIOD", "1m30s"},
          {"CLI_LOG_LEVEL", "Warning"},
          {"CLI_BATCH_MAXAMOUNT", "146"},
          {"CLI_MODE", "ECHO"},
          {"CLI_DATA_FILE", "other.csv"},
          {"CLI_WINNERS_LOGDELAY", "1s"},
          {"CLI_SERVER_PATIENCE", "2m"},
          {"CLI_SERVER_TIMEOUT", "250ms"},
          {"CLI_SERVER_DRAWTIMEOUT", "1.5h"}};
  const ClientConfig config = load_text(kFullYaml);
  EXPECT_EQ(config.id, 9u);
  EXPECT_EQ(config.server_address, "[::1]:4000");
  EXPECT_EQ(config.loop_amount, 0u);
  EXPECT_EQ(config.loop_period, 90s);
  EXPECT_EQ(config.log_level, logging::Level::kWarning);
  EXPECT_EQ(config.batch_max_amount, 146u);
  EXPECT_EQ(config.mode, ClientMode::kEcho);
  EXPECT_EQ(config.data_file, "other.csv");
  EXPECT_EQ(config.winners_log_delay, 1s);
  EXPECT_EQ(config.server_patience, 120s);
  EXPECT_EQ(config.server_timeout, 250ms);
  EXPECT_EQ(config.server_draw_timeout, 90min);
}

TEST_F(ConfigClient, EnvironmentOverridesOnlyWhatItSets) {
  env_ = {{"CLI_LOOP_PERIOD", "0"}, {"CLI_LOOP_AMOUNT", ""}};  // empty counts as unset
  const ClientConfig config = load_text(kFullYaml);
  EXPECT_EQ(config.loop_period, 0ns);
  EXPECT_EQ(config.loop_amount, 7u);
  EXPECT_EQ(config.id, 3u);
  EXPECT_EQ(config.server_address, "lottery.example:9000");
}

TEST_F(ConfigClient, DefaultsApplyWhenFileIsMissing) {
  env_ = {{"CLI_ID", "1"}};
  const ClientConfig config = load_env_only();
  EXPECT_EQ(config.id, 1u);
  EXPECT_EQ(config.server_address, "server:12345");
  EXPECT_EQ(config.loop_amount, 5u);
  EXPECT_EQ(config.loop_period, 5s);
  EXPECT_EQ(config.log_level, logging::Level::kInfo);
  EXPECT_EQ(config.batch_max_amount, kDefaultBatchMaxAmount);
  EXPECT_EQ(config.batch_max_amount, 146u);
  EXPECT_EQ(config.mode, ClientMode::kLottery);
  EXPECT_EQ(config.data_file, "./agency.csv");
  EXPECT_EQ(config.winners_log_delay, 0ns) << "natively the winners are logged as they arrive";
  EXPECT_EQ(config.server_patience, 60s);
  EXPECT_EQ(config.server_timeout, 10s);
  EXPECT_EQ(config.server_draw_timeout, 1h);
  EXPECT_FALSE(config.bet.has_value());
}

TEST_F(ConfigClient, DefaultsApplyToKeysAbsentFromFile) {
  const ClientConfig config = load_text("id: 2\nloop:\n  amount: 1\n");
  EXPECT_EQ(config.id, 2u);
  EXPECT_EQ(config.loop_amount, 1u);
  EXPECT_EQ(config.loop_period, 5s);
  EXPECT_EQ(config.server_address, "server:12345");
}

TEST_F(ConfigClient, EmptyFileIsAllDefaults) {
  env_ = {{"CLI_ID", "4"}};
  EXPECT_EQ(load_text("").loop_amount, 5u);
  EXPECT_EQ(load_text("# only a comment\n").id, 4u);
}

TEST_F(ConfigClient, YamlNullCountsAsUnset) {
  const ClientConfig config = load_text("id: 2\nloop:\n  period: ~\nlog:\n");
  EXPECT_EQ(config.loop_period, 5s);
  EXPECT_EQ(config.log_level, logging::Level::kInfo);
}

TEST_F(ConfigClient, MissingIdIsAnError) {
  expect_error(dir_.absent("config.yaml"), {"missing setting id (CLI_ID)"});
}

TEST_F(ConfigClient, QuotedNumbersInFileAreAccepted) { EXPECT_EQ(load_text("id: \"12\"\n").id, 12u); }

TEST_F(ConfigClient, AcceptsEdgeValues) {
  env_ = {{"CLI_ID", "4294967295"}, {"CLI_SERVER_ADDRESS", "localhost:65535"},
          {"CLI_MODE", "Bet"},      {"CLI_BATCH_MAXAMOUNT", "1"},
          {"NOMBRE", "a"},          {"APELLIDO", "b"},
          {"DOCUMENTO", "c"},       {"NACIMIENTO", "d"},
          {"NUMERO", "e"}};
  const ClientConfig config = load_env_only();
  EXPECT_EQ(config.id, 4294967295u);
  EXPECT_EQ(config.server_address, "localhost:65535");
  EXPECT_EQ(config.batch_max_amount, 1u);
  EXPECT_EQ(config.mode, ClientMode::kBet);
}

struct BadValue {
  std::string key;
  std::string env;
  std::string value;
};

const std::vector<BadValue>& bad_values() {
  static const std::vector<BadValue> values = {
      {"id", "CLI_ID", "abc"},
      {"id", "CLI_ID", "0"},
      {"id", "CLI_ID", "-1"},
      {"id", "CLI_ID", "12x"},
      {"id", "CLI_ID", " 1"},
      {"id", "CLI_ID", "+1"},
      {"id", "CLI_ID", "1.0"},
      {"id", "CLI_ID", "4294967296"},
      {"id", "CLI_ID", "99999999999999999999999"},
      {"server.address", "CLI_SERVER_ADDRESS", "server"},
      {"server.address", "CLI_SERVER_ADDRESS", "server:0"},
      {"server.address", "CLI_SERVER_ADDRESS", "server:70000"},
      {"server.address", "CLI_SERVER_ADDRESS", "server:12a"},
      {"server.address", "CLI_SERVER_ADDRESS", ":12345"},
      {"server.address", "CLI_SERVER_ADDRESS", "server:"},
      {"server.address", "CLI_SERVER_ADDRESS", "a:b:1"},
      {"server.address", "CLI_SERVER_ADDRESS", "[]:1"},
      {"loop.amount", "CLI_LOOP_AMOUNT", "abc"},
      {"loop.amount", "CLI_LOOP_AMOUNT", "-1"},
      {"loop.amount", "CLI_LOOP_AMOUNT", "5.0"},
      {"loop.amount", "CLI_LOOP_AMOUNT", "5 "},
      {"loop.amount", "CLI_LOOP_AMOUNT", "4294967296"},
      {"loop.period", "CLI_LOOP_PERIOD", "abc"},
      {"loop.period", "CLI_LOOP_PERIOD", "5"},
      {"loop.period", "CLI_LOOP_PERIOD", "-1s"},
      {"loop.period", "CLI_LOOP_PERIOD", "99999999999h"},
      {"winners.logDelay", "CLI_WINNERS_LOGDELAY", "1"},
      {"winners.logDelay", "CLI_WINNERS_LOGDELAY", "-1s"},
      {"server.patience", "CLI_SERVER_PATIENCE", "0s"},
      {"server.patience", "CLI_SERVER_PATIENCE", "soon"},
      {"server.timeout", "CLI_SERVER_TIMEOUT", "0s"},
      {"server.timeout", "CLI_SERVER_TIMEOUT", "-1s"},
      {"server.timeout", "CLI_SERVER_TIMEOUT", "10"},
      {"server.drawTimeout", "CLI_SERVER_DRAWTIMEOUT", "0"},
      {"server.drawTimeout", "CLI_SERVER_DRAWTIMEOUT", "forever"},
      {"log.level", "CLI_LOG_LEVEL", "LOUD"},
      {"log.level", "CLI_LOG_LEVEL", "WARN"},
      {"batch.maxAmount", "CLI_BATCH_MAXAMOUNT", "0"},
      {"batch.maxAmount", "CLI_BATCH_MAXAMOUNT", "abc"},
      {"batch.maxAmount", "CLI_BATCH_MAXAMOUNT", "-5"},
      {"mode", "CLI_MODE", "x"},
      {"mode", "CLI_MODE", "batches"},
  };
  return values;
}

// `key` ("a.b") with a double-quoted YAML string value, as nested mappings.
std::string yaml_for(const std::string& key, const std::string& value) {
  std::string yaml;
  std::string indent;
  std::string rest = key;
  for (std::size_t dot; (dot = rest.find('.')) != std::string::npos; rest.erase(0, dot + 1)) {
    yaml += indent + rest.substr(0, dot) + ":\n";
    indent += "  ";
  }
  return yaml + indent + rest + ": \"" + value + "\"\n";
}

TEST_F(ConfigClient, BadValueFromEnvironmentNamesKeyAndVariable) {
  for (const BadValue& bad : bad_values()) {
    SCOPED_TRACE(bad.env + "=" + bad.value);
    env_ = {{"CLI_ID", "1"}};
    env_[bad.env] = bad.value;
    expect_error(dir_.absent("config.yaml"),
                 {"invalid setting " + bad.key + " (" + bad.env + ")", "\"" + bad.value + "\""});
  }
}

TEST_F(ConfigClient, BadValueFromFileNamesKeyAndVariable) {
  for (const BadValue& bad : bad_values()) {
    SCOPED_TRACE(bad.key + ": " + bad.value);
    env_ = {{"CLI_ID", "1"}};
    if (bad.key == "id") env_.clear();
    const std::string path = dir_.write("config.yaml", yaml_for(bad.key, bad.value));
    expect_error(path, {"invalid setting " + bad.key + " (" + bad.env + ")"});
  }
}

TEST_F(ConfigClient, EmptyDataFileInFileIsAnError) {
  env_ = {{"CLI_ID", "1"}};
  expect_error(dir_.write("config.yaml", "data:\n  file: \"\"\n"),
               {"invalid setting data.file (CLI_DATA_FILE)", "empty"});
}

TEST_F(ConfigClient, WrongYamlTypeIsAnError) {
  env_ = {{"CLI_ID", "1"}};
  expect_error(dir_.write("config.yaml", "loop:\n  amount: [1, 2]\n"),
               {"loop.amount (CLI_LOOP_AMOUNT)", "list"});
  expect_error(dir_.write("config.yaml", "loop:\n  period:\n    x: 1\n"),
               {"loop.period (CLI_LOOP_PERIOD)", "mapping"});
  expect_error(dir_.write("config.yaml", "server: localhost\n"), {"server.address (CLI_SERVER_ADDRESS)"});
}

TEST_F(ConfigClient, EnvironmentHidesBadFileValue) {
  env_ = {{"CLI_ID", "1"}, {"CLI_LOOP_AMOUNT", "3"}};
  EXPECT_EQ(load_text("loop:\n  amount: abc\n").loop_amount, 3u);
}

TEST_F(ConfigClient, MalformedYamlNamesFileAndLine) {
  env_ = {{"CLI_ID", "1"}};
  const std::string path = dir_.write("config.yaml", "id: 1\nloop:\n  amount: [1, 2\n");
  expect_error(path, {"cannot parse " + path + ": line "});
  expect_error(dir_.write("config.yaml", "id: 1\n  bad: indentation\n"), {"cannot parse", "line 2"});
}

TEST_F(ConfigClient, TopLevelMustBeAMapping) {
  env_ = {{"CLI_ID", "1"}};
  expect_error(dir_.write("config.yaml", "- 1\n- 2\n"), {"cannot parse", "mapping"});
}

TEST_F(ConfigClient, UnreadableFileIsAnError) {
  env_ = {{"CLI_ID", "1"}};
  expect_error(dir_.path(), {"cannot read " + dir_.path()});
}

TEST_F(ConfigClient, BetModeReadsTheFiveVariables) {
  env_ = {{"CLI_ID", "1"},       {"CLI_MODE", "bet"},       {"NOMBRE", "Santiago Lionel"},
          {"APELLIDO", "Lorca"}, {"DOCUMENTO", "30904465"}, {"NACIMIENTO", "1999-03-17"},
          {"NUMERO", "7574"}};
  const ClientConfig config = load_env_only();
  ASSERT_TRUE(config.bet.has_value());
  EXPECT_EQ(config.bet->first_name, "Santiago Lionel");
  EXPECT_EQ(config.bet->last_name, "Lorca");
  EXPECT_EQ(config.bet->document, "30904465");
  EXPECT_EQ(config.bet->birthdate, "1999-03-17");
  EXPECT_EQ(config.bet->number, "7574");
}

TEST_F(ConfigClient, BetModeRequiresEachVariable) {
  const std::map<std::string, std::string> complete = {
      {"CLI_ID", "1"},    {"CLI_MODE", "bet"},          {"NOMBRE", "A"}, {"APELLIDO", "B"},
      {"DOCUMENTO", "1"}, {"NACIMIENTO", "2000-01-01"}, {"NUMERO", "1"}};
  for (const std::string variable : {"NOMBRE", "APELLIDO", "DOCUMENTO", "NACIMIENTO", "NUMERO"}) {
    SCOPED_TRACE(variable);
    env_ = complete;
    env_.erase(variable);
    expect_error(dir_.absent("config.yaml"), {"missing setting " + variable});
    env_[variable] = "";
    expect_error(dir_.absent("config.yaml"), {"missing setting " + variable});
  }
}

TEST_F(ConfigClient, BetModeFromFileStillNeedsEnvironment) {
  env_ = {{"CLI_ID", "1"}};
  expect_error(dir_.write("config.yaml", "mode: bet\n"), {"missing setting NOMBRE"});
}

TEST_F(ConfigClient, OtherModesIgnoreBetVariables) {
  env_ = {{"CLI_ID", "1"}, {"NOMBRE", "A"}};
  EXPECT_FALSE(load_env_only().bet.has_value());
}

TEST_F(ConfigClient, ConfigLineShowsTheSettingsTheCourseChecks) {
  env_ = {{"CLI_ID", "1"}, {"CLI_LOOP_PERIOD", "100ms"}, {"CLI_LOG_LEVEL", "debug"}};
  EXPECT_EQ(
      config_line(load_env_only()).text(),
      "action: config | result: success | client_id: 1 | server_address: server:12345 | loop_amount: 5 | "
      "loop_period: 100ms | log_level: DEBUG");
  env_ = {{"CLI_ID", "4294967295"}, {"CLI_LOOP_PERIOD", "90s"}, {"CLI_LOOP_AMOUNT", "0"}};
  EXPECT_EQ(
      config_line(load_text("server:\n  address: \"[::1]:80\"\n")).text(),
      "action: config | result: success | client_id: 4294967295 | server_address: [::1]:80 | loop_amount: 0 | "
      "loop_period: 1m30s | log_level: INFO");
}

TEST_F(ConfigClient, ModeNames) {
  EXPECT_EQ(to_string(ClientMode::kEcho), "echo");
  EXPECT_EQ(to_string(ClientMode::kBet), "bet");
  EXPECT_EQ(to_string(ClientMode::kBatch), "batch");
  EXPECT_EQ(to_string(ClientMode::kLottery), "lottery");
  for (const ClientMode mode : {ClientMode::kEcho, ClientMode::kBatch, ClientMode::kLottery}) {
    env_ = {{"CLI_ID", "1"}, {"CLI_MODE", std::string(to_string(mode))}};
    EXPECT_EQ(load_env_only().mode, mode);
  }
}

// The defaults are relative to the working directory, in the agency's folder of
// scripts/make-certs.sh .data/tls; every mode but echo speaks TLS.
TEST_F(ConfigClient, TlsIsOnByDefaultWithTheAgencysFolderOfMakeCerts) {
  tls_on();
  const tls::Credentials defaults{".data/tls/agency-3/agency.crt", ".data/tls/agency-3/agency.key",
                                  ".data/tls/agency-3/ca.crt"};
  std::filesystem::create_directories(dir_.path() + "/.data/tls/agency-3");
  for (const std::string& file : {defaults.certificate, defaults.key, defaults.authority})
    dir_.write(file, "pem");
  const testing::WorkingDirectory here(dir_.path());
  for (const char* mode : {"lottery", "batch", "bet"}) {
    SCOPED_TRACE(mode);
    env_ = {{"CLI_ID", "3"},    {"CLI_MODE", mode},           {"NOMBRE", "A"}, {"APELLIDO", "B"},
            {"DOCUMENTO", "1"}, {"NACIMIENTO", "2000-01-01"}, {"NUMERO", "1"}};
    EXPECT_EQ(load_env_only().tls, defaults);
  }
}

TEST_F(ConfigClient, TlsWithoutTheDefaultFilesStartingIsAnErrorNamingTheSetting) {
  tls_on();
  const testing::WorkingDirectory here(dir_.path());
  env_ = {{"CLI_ID", "3"}};
  expect_error(dir_.absent("config.yaml"), {"invalid setting tls.cert (CLI_TLS_CERT): cannot read "
                                            "\".data/tls/agency-3/agency.crt\": No such file or directory"});
}

TEST_F(ConfigClient, TlsTheFileNamesTheFilesAndTheEnvironmentOverridesIt) {
  tls_on();
  const tls::Credentials files = readable_files();
  env_ = {{"CLI_ID", "1"}};
  const std::string yaml =
      "tls:\n  cert: " + files.certificate + "\n  key: " + files.key + "\n  ca: " + files.authority + "\n";
  EXPECT_EQ(load_text(yaml).tls, files);
  const std::string other = dir_.write("other.key", "key");
  env_["CLI_TLS_KEY"] = other;
  EXPECT_EQ(load_text(yaml).tls, (tls::Credentials{files.certificate, other, files.authority}));
  env_ = {{"CLI_ID", "1"}};
  set_files(files);
  EXPECT_EQ(load_env_only().tls, files);
}

TEST_F(ConfigClient, TlsEachMissingOrUnreadableFileIsAnErrorNamingItsSetting) {
  tls_on();
  const tls::Credentials files = readable_files();
  const std::string absent = dir_.absent("absent.pem");
  const std::string folder = dir_.path();
  const std::string missing_problem = "cannot read \"" + absent + "\": No such file or directory";
  const std::string folder_problem = "\"" + folder + "\" is not a file";
  struct Setting {
    std::string key;
    std::string variable;
    std::string yaml;  // the setting alone in a config file
  };
  const Setting settings[] = {{"tls.cert", "CLI_TLS_CERT", "tls:\n  cert: " + absent + "\n"},
                              {"tls.key", "CLI_TLS_KEY", "tls:\n  key: " + absent + "\n"},
                              {"tls.ca", "CLI_TLS_CA", "tls:\n  ca: " + absent + "\n"}};
  for (const Setting& setting : settings) {
    SCOPED_TRACE(setting.key);
    env_ = {{"CLI_ID", "1"}};
    set_files(files);
    const std::string invalid = "invalid setting " + setting.key + " (" + setting.variable + "): ";
    env_[setting.variable] = absent;
    expect_error(dir_.absent("config.yaml"), {invalid + missing_problem});
    env_[setting.variable] = folder;
    expect_error(dir_.absent("config.yaml"), {invalid + folder_problem});
    env_.erase(setting.variable);
    expect_error(dir_.write("config.yaml", setting.yaml), {invalid + missing_problem});
  }
}

TEST_F(ConfigClient, TlsAKeyReadableByGroupOrOthersIsAnErrorNamingIt) {
  tls_on();
  const tls::Credentials files = readable_files();
  env_ = {{"CLI_ID", "1"}};
  set_files(files);
  std::filesystem::permissions(files.key, std::filesystem::perms(0644));
  expect_error(dir_.absent("config.yaml"), {"invalid setting tls.key (CLI_TLS_KEY): \"" + files.key +
                                            "\" is readable by group or others (mode 0644): make it 0600"});
}

TEST_F(ConfigClient, TlsOffInAnyCaseNeedsNoFiles) {
  tls_on();
  const testing::WorkingDirectory here(dir_.path());  // no .data/tls here
  for (const char* off : {"off", "OFF", "Off"}) {
    env_ = {{"CLI_ID", "1"}, {"CLI_TLS", off}, {"CLI_TLS_CERT", dir_.absent("absent.crt")}};
    EXPECT_EQ(load_env_only().tls, std::nullopt) << off;
  }
  env_ = {{"CLI_ID", "1"}, {"CLI_TLS", "ON"}};
  set_files(readable_files());
  EXPECT_TRUE(load_env_only().tls.has_value());
}

// Echo mode is plain text, as the netcat check of the server is.
TEST_F(ConfigClient, TlsEchoModeIsPlainTextAndNeedsNoFiles) {
  tls_on();
  const testing::WorkingDirectory here(dir_.path());
  env_ = {{"CLI_ID", "1"}, {"CLI_MODE", "echo"}};
  EXPECT_EQ(load_env_only().tls, std::nullopt);
  env_["CLI_TLS"] = "on";
  EXPECT_EQ(load_env_only().tls, std::nullopt);
}

TEST_F(ConfigClient, TlsABadValueIsAnErrorNamingCliTlsInEveryMode) {
  tls_on();
  for (const char* mode : {"lottery", "echo"}) {
    SCOPED_TRACE(mode);
    env_ = {{"CLI_ID", "1"}, {"CLI_MODE", mode}, {"CLI_TLS", "maybe"}};
    expect_error(dir_.absent("config.yaml"), {"invalid setting CLI_TLS: \"maybe\" is not one of off, on"});
  }
}

}  // namespace
}  // namespace tp0::config
