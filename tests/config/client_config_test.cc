#include "config/client_config.h"

#include <gtest/gtest.h>

#include "tests/config/fake_environment.h"
#include "tests/support/process.h"

namespace tp0::config {
namespace {

using namespace std::chrono_literals;

class ClientConfigTest : public ::testing::Test {
 protected:
  std::string yaml(const std::string& content) {
    testing::write_file(dir_.file("config.yaml"), content);
    return dir_.file("config.yaml");
  }
  std::string missing() const { return dir_.file("absent.yaml"); }

  testing::TempDir dir_;
};

TEST_F(ClientConfigTest, ReadsEveryKeyOfTheFile) {
  const auto config = load_client_config(yaml(R"(
id: 3
server:
  address: "server:12345"
loop:
  amount: 7
  period: "100ms"
log:
  level: "debug"
batch:
  maxAmount: 64
mode: echo
data:
  file: /data/agency.csv
)"),
                                         fake_environment({}));
  EXPECT_EQ(config.id, 3u);
  EXPECT_EQ(config.server_address, "server:12345");
  EXPECT_EQ(config.loop_amount, 7u);
  EXPECT_EQ(config.loop_period, 100ms);
  EXPECT_EQ(config.log_level, "DEBUG");
  EXPECT_EQ(config.batch_max_amount, 64u);
  EXPECT_EQ(config.mode, ClientMode::kEcho);
  EXPECT_EQ(config.data_file, "/data/agency.csv");
  EXPECT_FALSE(config.bet.has_value());
}

TEST_F(ClientConfigTest, EnvironmentOverridesEveryKey) {
  const auto config = load_client_config(
      yaml("id: 3\nserver:\n  address: a:1\nloop:\n  amount: 7\n  period: 1s\nlog:\n  level: INFO\n"
           "batch:\n  maxAmount: 64\n"),
      fake_environment({{"CLI_ID", "9"},
                        {"CLI_SERVER_ADDRESS", "b:2"},
                        {"CLI_LOOP_AMOUNT", "500"},
                        {"CLI_LOOP_PERIOD", "150ms"},
                        {"CLI_LOG_LEVEL", "warning"},
                        {"CLI_BATCH_MAXAMOUNT", "99"},
                        {"CLI_MODE", "BATCH"},
                        {"CLI_DATA_FILE", "x.csv"}}));
  EXPECT_EQ(config.id, 9u);
  EXPECT_EQ(config.server_address, "b:2");
  EXPECT_EQ(config.loop_amount, 500u);
  EXPECT_EQ(config.loop_period, 150ms);
  EXPECT_EQ(config.log_level, "WARNING");
  EXPECT_EQ(config.batch_max_amount, 99u);
  EXPECT_EQ(config.mode, ClientMode::kBatch);
  EXPECT_EQ(config.data_file, "x.csv");
}

TEST_F(ClientConfigTest, MissingFileMeansDefaults) {
  const auto config = load_client_config(missing(), fake_environment({{"CLI_ID", "1"}}));
  EXPECT_EQ(config.server_address, "server:12345");
  EXPECT_EQ(config.loop_amount, 5u);
  EXPECT_EQ(config.loop_period, 5s);
  EXPECT_EQ(config.log_level, "INFO");
  EXPECT_EQ(config.batch_max_amount, kDefaultBatchMaxAmount);
  EXPECT_EQ(config.mode, ClientMode::kLottery);
  EXPECT_EQ(config.data_file, "./agency.csv");
}

TEST_F(ClientConfigTest, IdIsRequired) {
  const auto message = config_error_of([&] { load_client_config(missing(), fake_environment({})); });
  EXPECT_NE(message.find("CLI_ID"), std::string::npos) << message;
}

TEST_F(ClientConfigTest, EachBadValueIsAnErrorNamingItsKey) {
  const std::map<std::string, std::string> bad_values{
      {"CLI_ID", "0"},           {"CLI_ID", "x1"},
      {"CLI_SERVER_ADDRESS", "noport"},
      {"CLI_LOOP_AMOUNT", "-1"}, {"CLI_LOOP_PERIOD", "5"},
      {"CLI_LOG_LEVEL", "LOUD"}, {"CLI_BATCH_MAXAMOUNT", "0"},
      {"CLI_MODE", "fast"}};
  for (const auto& [variable, value] : bad_values) {
    std::map<std::string, std::string> variables{{"CLI_ID", "1"}};
    variables[variable] = value;
    const auto message = config_error_of([&] { load_client_config(missing(), fake_environment(variables)); });
    EXPECT_NE(message.find(variable), std::string::npos) << variable << "=" << value << ": " << message;
  }
  for (const auto& [text, key] : std::map<std::string, std::string>{
           {"id: 1\nloop:\n  amount: many\n", "loop.amount"},
           {"id: 1\nloop:\n  period: -1s\n", "loop.period"},
           {"id: 1\nbatch:\n  maxAmount: 10 bets\n", "batch.maxAmount"}}) {
    const auto message = config_error_of([&] { load_client_config(yaml(text), fake_environment({})); });
    EXPECT_NE(message.find(key), std::string::npos) << message;
  }
}

TEST_F(ClientConfigTest, MalformedYamlNamesTheFile) {
  const auto message = config_error_of(
      [&] { load_client_config(yaml("loop:\n  amount: [1, 2\n"), fake_environment({{"CLI_ID", "1"}})); });
  EXPECT_NE(message.find("config.yaml"), std::string::npos) << message;
}

TEST_F(ClientConfigTest, BetModeNeedsTheFiveVariables) {
  std::map<std::string, std::string> variables{{"CLI_ID", "1"},           {"CLI_MODE", "bet"},
                                               {"NOMBRE", "Ana"},        {"APELLIDO", "Paz"},
                                               {"DOCUMENTO", "123"},     {"NACIMIENTO", "2000-01-01"},
                                               {"NUMERO", "7574"}};
  const auto config = load_client_config(missing(), fake_environment(variables));
  ASSERT_TRUE(config.bet.has_value());
  EXPECT_EQ(config.bet->first_name, "Ana");
  EXPECT_EQ(config.bet->number, "7574");
  for (const char* variable : {"NOMBRE", "APELLIDO", "DOCUMENTO", "NACIMIENTO", "NUMERO"}) {
    auto incomplete = variables;
    incomplete.erase(variable);
    const auto message = config_error_of([&] { load_client_config(missing(), fake_environment(incomplete)); });
    EXPECT_NE(message.find(variable), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace tp0::config
