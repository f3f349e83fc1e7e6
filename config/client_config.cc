#include "config/client_config.h"

#include <array>
#include <limits>
#include <stdexcept>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "common/net/address.h"
#include "config/settings.h"

namespace tp0::config {
namespace {

using settings::Name;
using settings::Setting;

// ClientMode's names, in the order of its enumerators.
constexpr std::array<std::string_view, 4> kModeNames{"echo", "bet", "batch", "lottery"};

constexpr std::uint64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMillisecond = 1'000'000;

std::string host_and_port(const Name& name, const std::string& text) {
  try {
    net::split_host_port(text);
  } catch (const std::invalid_argument& error) {
    settings::fail(name, error.what());
  }
  return text;
}

using settings::choice;
using settings::duration;
using settings::logged;
using settings::setting;
using settings::whole_number;
using Config = ClientConfig;

// In the order the `config` line shows them and their errors are found.
constexpr Setting<Config> kSettings[] = {
    settings::required(logged<&Config::id, &whole_number<1, kMaxUint32>>({"id", "CLI_ID"}, "client_id")),
    logged<&Config::server_address, &host_and_port>({"server.address", "CLI_SERVER_ADDRESS"},
                                                    "server_address"),
    setting<&Config::server_patience, &duration<kMillisecond>>({"server.patience", "CLI_SERVER_PATIENCE"}),
    setting<&Config::server_timeout, &duration<kMillisecond>>({"server.timeout", "CLI_SERVER_TIMEOUT"}),
    setting<&Config::server_draw_timeout, &duration<kMillisecond>>(
        {"server.drawTimeout", "CLI_SERVER_DRAWTIMEOUT"}),
    logged<&Config::loop_amount, &whole_number<0, kMaxUint32>>({"loop.amount", "CLI_LOOP_AMOUNT"},
                                                               "loop_amount"),
    logged<&Config::loop_period, &duration<0>>({"loop.period", "CLI_LOOP_PERIOD"}, "loop_period"),
    logged<&Config::log_level, &choice<logging::kLevelNames>>({"log.level", "CLI_LOG_LEVEL"}, "log_level"),
    setting<&Config::batch_max_amount, &whole_number<1, kMaxUint32>>(
        {"batch.maxAmount", "CLI_BATCH_MAXAMOUNT"}),
    setting<&Config::mode, &choice<kModeNames>>({"mode", "CLI_MODE"}),
    setting<&Config::data_file, &settings::non_empty_text>({"data.file", "CLI_DATA_FILE"}),
    setting<&Config::winners_log_delay, &duration<0>>({"winners.logDelay", "CLI_WINNERS_LOGDELAY"}),
};

// Mode bet's bet, from the environment only.
constexpr Setting<BetSettings> kBetSettings[] = {
    settings::required(setting<&BetSettings::first_name, &settings::any_text>({"", "NOMBRE"})),
    settings::required(setting<&BetSettings::last_name, &settings::any_text>({"", "APELLIDO"})),
    settings::required(setting<&BetSettings::document, &settings::any_text>({"", "DOCUMENTO"})),
    settings::required(setting<&BetSettings::birthdate, &settings::any_text>({"", "NACIMIENTO"})),
    settings::required(setting<&BetSettings::number, &settings::any_text>({"", "NUMERO"})),
};

constexpr settings::TlsNames kTlsNames{
    {"", "CLI_TLS"}, {"tls.cert", "CLI_TLS_CERT"}, {"tls.key", "CLI_TLS_KEY"}, {"tls.ca", "CLI_TLS_CA"}};

// The raw text of `name` in the YAML file, nested by its dots ("loop.period" is `loop:
// {period: ...}`), or nullopt when the file does not set it. A YAML null (`id:` or `id: ~`)
// counts as unset; a list or a mapping is an error.
std::optional<std::string> yaml_value(const YAML::Node& root, const Name& name) {
  if (!root.IsMap()) return std::nullopt;
  YAML::Node node = root;
  std::string_view path = name.key;
  std::string walked;
  while (true) {
    const std::size_t dot = path.find('.');
    const std::string part(path.substr(0, dot));
    if (!node.IsMap()) settings::fail(name, "\"" + walked + "\" in the config file is not a mapping");
    const YAML::Node child = std::as_const(node)[part];
    if (!child.IsDefined() || child.IsNull()) return std::nullopt;
    walked += walked.empty() ? part : "." + part;
    node.reset(child);
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  if (!node.IsScalar()) {
    settings::fail(name, std::string("is a ") + (node.IsSequence() ? "list" : "mapping") +
                             " in the config file, not a single value");
  }
  return node.Scalar();
}

YAML::Node parse_yaml_file(const std::string& path) {
  const std::optional<std::string> contents = settings::read_file_if_present(path);
  if (!contents) return YAML::Node();
  YAML::Node root;
  try {
    root = YAML::Load(*contents);
  } catch (const YAML::Exception& error) {
    throw ConfigError("", "cannot parse " + path + ": line " + std::to_string(error.mark.line + 1) +
                              ", column " + std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  if (!root.IsNull() && !root.IsMap()) {
    throw ConfigError("", "cannot parse " + path + ": the top level is not a mapping of settings");
  }
  return root;
}

}  // namespace

std::string_view to_string(ClientMode mode) { return kModeNames.at(static_cast<std::size_t>(mode)); }

ClientConfig load_client_config(const std::string& yaml_path, const Environment& env) {
  const settings::Sources sources(
      [root = parse_yaml_file(yaml_path)](const Name& name) { return yaml_value(root, name); }, env);
  ClientConfig config;
  settings::read<ClientConfig>(config, kSettings, sources);
  if (config.mode == ClientMode::kBet) {
    settings::read<BetSettings>(config.bet.emplace(), kBetSettings, sources, "(required in mode bet)");
  }
  const std::string folder = ".data/tls/agency-" + std::to_string(config.id) + "/";
  config.tls = settings::read_tls(sources, kTlsNames, config.mode != ClientMode::kEcho,
                                  {folder + "agency.crt", folder + "agency.key", folder + "ca.crt"});
  return config;
}

logging::Event config_line(const ClientConfig& config) {
  return settings::config_line<ClientConfig>(config, kSettings);
}

}  // namespace tp0::config
