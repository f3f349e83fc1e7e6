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

// ClientMode's names, in the order of its enumerators.
constexpr std::array<std::string_view, 4> kModeNames{"echo", "bet", "batch", "lottery"};

constexpr std::uint64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();

std::string host_and_port(const Name& name, const std::string& text) {
  try {
    net::split_host_port(text);
  } catch (const std::invalid_argument& error) {
    settings::fail(name, error.what());
  }
  return text;
}

// The raw text of `name` in the YAML file, nested by its dots ("loop.period" is `loop:
// {period: ...}`), or nullopt when the file does not set it. A YAML null (`id:` or `id: ~`)
// counts as unset; a list or a mapping is an error.
std::optional<std::string> yaml_value(const YAML::Node& root, const Name& name) {
  if (!root.IsMap()) return std::nullopt;
  YAML::Node node = root;
  for (std::size_t start = 0, dot = 0; dot != std::string_view::npos; start = dot + 1) {
    dot = name.key.find('.', start);
    // Not at the top level, which is a mapping: the key's part before this one.
    if (!node.IsMap())
      settings::fail(name,
                     settings::quote(name.key.substr(0, start - 1)) + " in the config file is not a mapping");
    // Read as const, which adds nothing to the tree; reset, since assigning would change it.
    const YAML::Node child = std::as_const(node)[std::string(name.key.substr(start, dot - start))];
    if (!child.IsDefined() || child.IsNull()) return std::nullopt;
    node.reset(child);
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
    throw ConfigError("cannot parse " + path + ": line " + std::to_string(error.mark.line + 1) + ", column " +
                      std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  if (!root.IsNull() && !root.IsMap()) {
    throw ConfigError("cannot parse " + path + ": the top level is not a mapping of settings");
  }
  return root;
}

}  // namespace

std::string_view to_string(ClientMode mode) { return kModeNames.at(static_cast<std::size_t>(mode)); }

ClientConfig load_client_config(const std::string& yaml_path, const Environment& env) {
  using std::chrono::milliseconds;
  using std::chrono::nanoseconds;
  const settings::Reader in(
      [root = parse_yaml_file(yaml_path)](const Name& name) { return yaml_value(root, name); }, env);
  ClientConfig config;
  constexpr Name kId{"id", "CLI_ID"};
  config.id = static_cast<std::uint32_t>(settings::parse_integer(kId, in.required(kId), 1, kMaxUint32));
  in.read({"server.address", "CLI_SERVER_ADDRESS"}, config.server_address, &host_and_port);
  in.duration({"server.patience", "CLI_SERVER_PATIENCE"}, config.server_patience, milliseconds(1));
  in.duration({"server.timeout", "CLI_SERVER_TIMEOUT"}, config.server_timeout, milliseconds(1));
  in.duration({"server.drawTimeout", "CLI_SERVER_DRAWTIMEOUT"}, config.server_draw_timeout, milliseconds(1));
  in.number({"loop.amount", "CLI_LOOP_AMOUNT"}, config.loop_amount, 0, kMaxUint32);
  in.duration({"loop.period", "CLI_LOOP_PERIOD"}, config.loop_period, nanoseconds(0));
  in.choice({"log.level", "CLI_LOG_LEVEL"}, config.log_level, logging::kLevelNames);
  in.number({"batch.maxAmount", "CLI_BATCH_MAXAMOUNT"}, config.batch_max_amount, 1, kMaxUint32);
  in.choice({"mode", "CLI_MODE"}, config.mode, kModeNames);
  in.text({"data.file", "CLI_DATA_FILE"}, config.data_file);
  in.duration({"winners.logDelay", "CLI_WINNERS_LOGDELAY"}, config.winners_log_delay, nanoseconds(0));
  if (config.mode == ClientMode::kBet) {
    // From the environment only.
    constexpr std::string_view kWhy = "(required in mode bet)";
    config.bet = BetSettings{in.required({"", "NOMBRE"}, kWhy), in.required({"", "APELLIDO"}, kWhy),
                             in.required({"", "DOCUMENTO"}, kWhy), in.required({"", "NACIMIENTO"}, kWhy),
                             in.required({"", "NUMERO"}, kWhy)};
  }
  const std::string folder = ".data/tls/agency-" + std::to_string(config.id) + "/";
  config.tls = in.tls(
      {{"", "CLI_TLS"}, {"tls.cert", "CLI_TLS_CERT"}, {"tls.key", "CLI_TLS_KEY"}, {"tls.ca", "CLI_TLS_CA"}},
      config.mode != ClientMode::kEcho, {folder + "agency.crt", folder + "agency.key", folder + "ca.crt"});
  return config;
}

logging::Event config_line(const ClientConfig& config) {
  return logging::Event("config", logging::Result::kSuccess)
      .with("client_id", config.id)
      .with("server_address", config.server_address)
      .with("loop_amount", config.loop_amount)
      .with("loop_period", format_duration(config.loop_period))
      .with("log_level", logging::level_name(config.log_level));
}

}  // namespace tp0::config
