#include "config/client_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <stdexcept>

#include "common/net/address.h"
#include "config/settings.h"

namespace tp0::config {
namespace {

const Key kId{"id", "CLI_ID"};
const Key kServerAddress{"server.address", "CLI_SERVER_ADDRESS"};
const Key kLoopAmount{"loop.amount", "CLI_LOOP_AMOUNT"};
const Key kLoopPeriod{"loop.period", "CLI_LOOP_PERIOD"};
const Key kLogLevel{"log.level", "CLI_LOG_LEVEL"};
const Key kBatchMaxAmount{"batch.maxAmount", "CLI_BATCH_MAXAMOUNT"};
const Key kMode{"mode", "CLI_MODE"};
const Key kDataFile{"data.file", "CLI_DATA_FILE"};

// Flattens nested mappings into "outer.inner" keys holding scalar text.
void flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  if (node.IsScalar()) {
    out[prefix] = node.Scalar();
  } else if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string name = entry.first.as<std::string>();
      flatten(entry.second, prefix.empty() ? name : prefix + "." + name, out);
    }
  } else if (node.IsSequence()) {
    throw ConfigError(prefix, "invalid setting " + prefix + ": a list is not allowed here");
  }
}

std::map<std::string, std::string> read_yaml(const std::string& path) {
  std::map<std::string, std::string> values;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return values;
  try {
    flatten(YAML::LoadFile(path), "", values);
  } catch (const YAML::Exception& failure) {
    throw ConfigError("", "cannot parse " + path + ": " + failure.what());
  }
  return values;
}

std::string server_address(const Settings& settings) {
  const std::string address = settings.text(kServerAddress, "server:12345");
  try {
    net::split_host_port(address);
  } catch (const std::invalid_argument& error) {
    throw Settings::invalid(kServerAddress, address, error.what());
  }
  return address;
}

BetSettings bet_settings(const Settings& settings) {
  const auto required = [&](const char* variable) {
    return settings.required_text(Key{variable, variable});
  };
  return BetSettings{required("NOMBRE"), required("APELLIDO"), required("DOCUMENTO"),
                     required("NACIMIENTO"), required("NUMERO")};
}

}  // namespace

ClientConfig load_client_config(const std::string& yaml_path, const Environment& environment) {
  const Settings settings(read_yaml(yaml_path), environment);
  ClientConfig config;
  if (!settings.find(kId)) throw ConfigError(kId.file_key, "missing setting " + kId.describe());
  config.id = static_cast<std::uint32_t>(settings.integer(kId, 0, 1, UINT32_MAX));
  config.server_address = server_address(settings);
  config.loop_amount = static_cast<std::uint32_t>(settings.integer(kLoopAmount, 5, 0, UINT32_MAX));
  config.loop_period = settings.duration(kLoopPeriod, std::chrono::seconds(5));
  config.log_level = settings.log_level(kLogLevel, "INFO");
  config.batch_max_amount = static_cast<std::uint32_t>(
      settings.integer(kBatchMaxAmount, kDefaultBatchMaxAmount, 1, UINT32_MAX));
  config.mode = settings.choice(kMode, ClientMode::kLottery,
                                {{"echo", ClientMode::kEcho},
                                 {"bet", ClientMode::kBet},
                                 {"batch", ClientMode::kBatch},
                                 {"lottery", ClientMode::kLottery}});
  config.data_file = settings.text(kDataFile, "./agency.csv");
  if (config.mode == ClientMode::kBet) config.bet = bet_settings(settings);
  return config;
}

std::string_view to_string(ClientMode mode) {
  switch (mode) {
    case ClientMode::kEcho:
      return "echo";
    case ClientMode::kBet:
      return "bet";
    case ClientMode::kBatch:
      return "batch";
    case ClientMode::kLottery:
      return "lottery";
  }
  return "unknown";
}

}  // namespace tp0::config
