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

constexpr Name kId{"id", "CLI_ID"};
constexpr Name kServerAddress{"server.address", "CLI_SERVER_ADDRESS"};
constexpr Name kServerPatience{"server.patience", "CLI_SERVER_PATIENCE"};
constexpr Name kServerTimeout{"server.timeout", "CLI_SERVER_TIMEOUT"};
constexpr Name kServerDrawTimeout{"server.drawTimeout", "CLI_SERVER_DRAWTIMEOUT"};
constexpr Name kLoopAmount{"loop.amount", "CLI_LOOP_AMOUNT"};
constexpr Name kLoopPeriod{"loop.period", "CLI_LOOP_PERIOD"};
constexpr Name kLogLevel{"log.level", "CLI_LOG_LEVEL"};
constexpr Name kBatchMaxAmount{"batch.maxAmount", "CLI_BATCH_MAXAMOUNT"};
constexpr Name kMode{"mode", "CLI_MODE"};
constexpr Name kDataFile{"data.file", "CLI_DATA_FILE"};
constexpr Name kWinnersLogDelay{"winners.logDelay", "CLI_WINNERS_LOGDELAY"};
constexpr Name kTls{"", "CLI_TLS"};
constexpr Name kTlsCert{"tls.cert", "CLI_TLS_CERT"};
constexpr Name kTlsKey{"tls.key", "CLI_TLS_KEY"};
constexpr Name kTlsCa{"tls.ca", "CLI_TLS_CA"};

constexpr Name kFirstName{"", "NOMBRE"};
constexpr Name kLastName{"", "APELLIDO"};
constexpr Name kDocument{"", "DOCUMENTO"};
constexpr Name kBirthdate{"", "NACIMIENTO"};
constexpr Name kNumber{"", "NUMERO"};

// ClientMode's names, in the order of its enumerators.
constexpr std::array<std::string_view, 4> kModeNames{"echo", "bet", "batch", "lottery"};

constexpr std::uint64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();

// Where the client's settings come from: the environment first, then the YAML file.
class Sources {
 public:
  Sources(const YAML::Node& root, const Environment& env) : root_(root), env_(env) {}

  // The raw text of `name`, or nullopt when neither place sets it. A YAML null
  // (`id:` or `id: ~`) counts as unset; a list or a mapping is an error.
  std::optional<std::string> lookup(const Name& name) const {
    if (!name.env.empty()) {
      if (auto value = env_(std::string(name.env)); value && !value->empty()) return value;
    }
    if (name.key.empty() || !root_.IsMap()) return std::nullopt;
    return lookup_in_file(name);
  }

 private:
  std::optional<std::string> lookup_in_file(const Name& name) const {
    YAML::Node node = root_;
    std::string_view path = name.key;
    std::string walked;
    while (true) {
      const std::size_t dot = path.find('.');
      const std::string part(path.substr(0, dot));
      if (!node.IsMap()) {
        settings::fail(name, "\"" + walked + "\" in the config file is not a mapping");
      }
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

  YAML::Node root_;
  const Environment& env_;
};

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

std::uint32_t parse_uint32(const Name& name, const std::string& text, std::uint32_t min) {
  return static_cast<std::uint32_t>(settings::parse_integer(name, text, min, kMaxUint32));
}

BetSettings load_bet(const Sources& sources) {
  const auto required = [&](const Name& name) {
    auto value = sources.lookup(name);
    if (!value) settings::fail_missing(name, "(required in mode bet)");
    return std::move(*value);
  };
  BetSettings bet;
  bet.first_name = required(kFirstName);
  bet.last_name = required(kLastName);
  bet.document = required(kDocument);
  bet.birthdate = required(kBirthdate);
  bet.number = required(kNumber);
  return bet;
}

}  // namespace

std::string_view to_string(ClientMode mode) { return kModeNames.at(static_cast<std::size_t>(mode)); }

ClientConfig load_client_config(const std::string& yaml_path, const Environment& env) {
  const Sources sources(parse_yaml_file(yaml_path), env);
  ClientConfig config;

  if (auto text = sources.lookup(kId)) {
    config.id = parse_uint32(kId, *text, 1);
  } else {
    settings::fail_missing(kId);
  }
  if (auto text = sources.lookup(kServerAddress)) {
    try {
      net::split_host_port(*text);
    } catch (const std::invalid_argument& error) {
      settings::fail(kServerAddress, error.what());
    }
    config.server_address = std::move(*text);
  }
  if (auto text = sources.lookup(kServerPatience)) {
    config.server_patience = settings::parse_duration_at_least(kServerPatience, *text, std::chrono::milliseconds(1));
  }
  if (auto text = sources.lookup(kServerTimeout)) {
    config.server_timeout = settings::parse_duration_at_least(kServerTimeout, *text, std::chrono::milliseconds(1));
  }
  if (auto text = sources.lookup(kServerDrawTimeout)) {
    config.server_draw_timeout =
        settings::parse_duration_at_least(kServerDrawTimeout, *text, std::chrono::milliseconds(1));
  }
  if (auto text = sources.lookup(kLoopAmount)) config.loop_amount = parse_uint32(kLoopAmount, *text, 0);
  if (auto text = sources.lookup(kLoopPeriod)) {
    config.loop_period =
        settings::parse_duration_at_least(kLoopPeriod, *text, std::chrono::nanoseconds::zero());
  }
  if (auto text = sources.lookup(kLogLevel)) config.log_level = settings::parse_log_level(kLogLevel, *text);
  if (auto text = sources.lookup(kBatchMaxAmount)) {
    config.batch_max_amount = parse_uint32(kBatchMaxAmount, *text, 1);
  }
  if (auto text = sources.lookup(kMode)) {
    config.mode = static_cast<ClientMode>(settings::parse_choice(kMode, *text, kModeNames));
  }
  if (auto text = sources.lookup(kDataFile)) {
    config.data_file = settings::require_non_empty(kDataFile, *text);
  }
  if (auto text = sources.lookup(kWinnersLogDelay)) {
    config.winners_log_delay =
        settings::parse_duration_at_least(kWinnersLogDelay, *text, std::chrono::nanoseconds::zero());
  }
  if (config.mode == ClientMode::kBet) config.bet = load_bet(sources);
  // Checked in every mode, like any setting, though echo never speaks TLS.
  const auto tls_text = sources.lookup(kTls);
  const bool tls_on = !tls_text || settings::parse_on_off(kTls, *tls_text);
  if (config.mode != ClientMode::kEcho && tls_on) {
    const std::string folder = ".data/tls/agency-" + std::to_string(config.id) + "/";
    const auto file = [&](const Name& name, const char* default_name) {
      return settings::require_readable_file(name, sources.lookup(name).value_or(folder + default_name));
    };
    config.tls = tls::Credentials{file(kTlsCert, "agency.crt"), file(kTlsKey, "agency.key"), file(kTlsCa, "ca.crt")};
  }
  return config;
}

}  // namespace tp0::config
