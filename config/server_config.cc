#include "config/server_config.h"

#include <ini.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "config/settings.h"

namespace tp0::config {
namespace {

using settings::Name;
using settings::Setting;

// Each enumeration's names, in the order of its enumerators.
constexpr std::array<std::string_view, 2> kServerModeNames{"echo", "lottery"};
constexpr std::array<std::string_view, 2> kConcurrencyNames{"sequential", "process"};
constexpr std::array<std::string_view, 2> kRoundStartNames{"resume", "new"};
constexpr std::array<std::string_view, 2> kDurabilityNames{"process", "machine"};

constexpr std::size_t kMaxAgencyIds = 10000;

constexpr char kSection[] = "DEFAULT";

// inih reads each line into a buffer of INI_MAX_LINE bytes: a longer line would be cut,
// its value truncated and the rest parsed as a line of its own.
constexpr std::size_t kMaxIniLine = INI_MAX_LINE - 1;

// `text` without the spaces and tabs at either end.
std::string_view trim_blanks(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// SERVER_AGENCY_IDS: "3, 7,12" -> {3, 7, 12}, sorted ascending. Each problem names the
// item at fault.
std::vector<std::uint32_t> parse_agency_ids(const Name& name, const std::string& text) {
  if (trim_blanks(text).empty()) settings::fail(name, "must not be empty: list at least one agency id");
  std::vector<std::uint32_t> ids;
  std::size_t start = 0;
  for (std::size_t number = 1;; ++number) {
    const std::size_t comma = text.find(',', start);
    const std::string item(trim_blanks(std::string_view(text).substr(start, comma - start)));
    if (number > kMaxAgencyIds) {
      settings::fail(name, "more than " + std::to_string(kMaxAgencyIds) + " agency ids (item " +
                               std::to_string(number) + " is " + settings::quote(item) + ")");
    }
    if (item.empty()) settings::fail(name, "item " + std::to_string(number) + " is empty");
    ids.push_back(static_cast<std::uint32_t>(
        settings::parse_integer(name, item, 1, std::numeric_limits<std::uint32_t>::max())));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(ids.begin(), ids.end());
  if (const auto repeated = std::adjacent_find(ids.begin(), ids.end()); repeated != ids.end()) {
    settings::fail(name, "agency " + std::to_string(*repeated) + " is listed more than once");
  }
  return ids;
}

// A Go duration > 0, rounded up to whole milliseconds, so never to zero.
std::chrono::milliseconds positive_milliseconds(const Name& name, const std::string& text) {
  return std::chrono::ceil<std::chrono::milliseconds>(
      settings::parse_duration_at_least(name, text, std::chrono::nanoseconds(1)));
}

constexpr std::uint64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();
constexpr Name kAgencies{"SERVER_AGENCIES"};
constexpr Name kAgencyIds{"SERVER_AGENCY_IDS"};
constexpr Name kMaxChildren{"SERVER_MAX_CHILDREN"};

using settings::choice;
using settings::logged;
using settings::setting;
using settings::whole_number;
using Config = ServerConfig;

// In the order the `config` line shows them and their errors are found.
constexpr Setting<Config> kSettings[] = {
    logged<&Config::port, &whole_number<0, 65535>>({"SERVER_PORT"}, "port"),
    setting<&Config::ip, &settings::non_empty_text>({"SERVER_IP"}),
    logged<&Config::listen_backlog, &whole_number<1, std::numeric_limits<int>::max()>>(
        {"SERVER_LISTEN_BACKLOG"}, "listen_backlog"),
    logged<&Config::logging_level, &choice<logging::kLevelNames>>({"LOGGING_LEVEL"}, "logging_level"),
    setting<&Config::mode, &choice<kServerModeNames>>({"SERVER_MODE"}),
    setting<&Config::concurrency, &choice<kConcurrencyNames>>({"SERVER_CONCURRENCY"}),
    setting<&Config::agencies, &whole_number<0, kMaxAgencyIds>>(kAgencies),
    setting<&Config::agency_ids, &parse_agency_ids>(kAgencyIds),
    setting<&Config::storage_path, &settings::non_empty_text>({"STORAGE_FILEPATH"}),
    setting<&Config::idle_timeout, &positive_milliseconds>({"SERVER_IDLE_TIMEOUT"}),
    setting<&Config::hello_timeout, &positive_milliseconds>({"SERVER_HELLO_TIMEOUT"}),
    setting<&Config::frame_timeout, &positive_milliseconds>({"SERVER_FRAME_TIMEOUT"}),
    setting<&Config::max_children, &whole_number<1, kMaxUint32>>(kMaxChildren),
    setting<&Config::max_introductions_per_address, &whole_number<1, kMaxUint32>>(
        {"SERVER_MAX_INTRODUCTIONS_PER_ADDRESS"}),
    setting<&Config::max_bets_per_agency, &whole_number<1, kMaxUint32>>({"SERVER_MAX_BETS_PER_AGENCY"}),
    setting<&Config::round, &choice<kRoundStartNames>>({"SERVER_ROUND"}),
    setting<&Config::durability, &choice<kDurabilityNames>>({"SERVER_DURABILITY"}),
};

constexpr settings::TlsNames kTlsNames{
    {"SERVER_TLS"}, {"SERVER_TLS_CERT"}, {"SERVER_TLS_KEY"}, {"SERVER_TLS_CA"}};

// inih callback: keeps the [DEFAULT] entries, keyed by upper-cased name. A repeated key
// keeps its last value.
int collect_default_entry(void* user, const char* section, const char* name, const char* value) {
  if (std::string_view(section) == kSection) {
    std::string key(name);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    (*static_cast<std::map<std::string, std::string>*>(user))[key] = value;
  }
  return 1;
}

// Refuses a line (not counting its line break) longer than inih can read whole.
void check_line_lengths(const std::string& path, std::string_view contents) {
  std::size_t number = 1;
  for (std::size_t start = 0; start <= contents.size(); ++number) {
    std::size_t end = contents.find('\n', start);
    if (end == std::string_view::npos) end = contents.size();
    std::size_t length = end - start;
    if (length > 0 && contents[end - 1] == '\r') --length;
    if (length > kMaxIniLine) {
      throw ConfigError("", "cannot parse " + path + ": line " + std::to_string(number) + " is longer than " +
                                std::to_string(kMaxIniLine) + " characters");
    }
    start = end + 1;
  }
}

std::map<std::string, std::string> parse_ini_file(const std::string& path) {
  std::map<std::string, std::string> entries;
  const std::optional<std::string> contents = settings::read_file_if_present(path);
  if (!contents) return entries;
  check_line_lengths(path, *contents);
  const int result = ini_parse_string(contents->c_str(), collect_default_entry, &entries);
  if (result > 0) {
    throw ConfigError("", "cannot parse " + path + ": line " + std::to_string(result) +
                              " is neither [section], name = value nor a comment");
  }
  if (result < 0) throw ConfigError("", "cannot parse " + path + ": out of memory");
  return entries;
}

}  // namespace

std::string_view to_string(ServerMode mode) { return kServerModeNames.at(static_cast<std::size_t>(mode)); }

std::string_view to_string(Concurrency concurrency) {
  return kConcurrencyNames.at(static_cast<std::size_t>(concurrency));
}

ServerConfig load_server_config(const std::string& ini_path, const Environment& env) {
  const settings::Sources sources(
      [entries = parse_ini_file(ini_path)](const Name& name) -> std::optional<std::string> {
        if (const auto it = entries.find(std::string(name.key)); it != entries.end()) return it->second;
        return std::nullopt;
      },
      env);
  ServerConfig config;
  settings::read<ServerConfig>(config, kSettings, sources);
  if (sources.lookup(kAgencyIds)) {
    const auto listed = static_cast<std::uint32_t>(config.agency_ids.size());
    if (sources.lookup(kAgencies) && config.agencies != listed) {
      settings::fail(kAgencyIds, "lists " + std::to_string(listed) + " agencies but " +
                                     std::string(kAgencies.key) + " is " + std::to_string(config.agencies) +
                                     ": the two disagree");
    }
    config.agencies = listed;
  } else {
    config.agency_ids.clear();
    for (std::uint32_t id = 1; id <= config.agencies; ++id) config.agency_ids.push_back(id);
  }
  config.tls = settings::read_tls(sources, kTlsNames, config.mode == ServerMode::kLottery, *config.tls);
  const bool has_waiting_room =
      config.mode == ServerMode::kLottery && config.concurrency == Concurrency::kProcess;
  if (has_waiting_room && config.max_children < 2) {
    settings::fail(kMaxChildren,
                   "must be at least 2 for a process lottery server: one child holds the "
                   "connections waiting for the draw");
  }
  return config;
}

logging::Event config_line(const ServerConfig& config) {
  return settings::config_line<ServerConfig>(config, kSettings);
}

}  // namespace tp0::config
