#include "config/server_config.h"

#include <ini.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string_view>
#include <utility>

#include "config/settings.h"

namespace tp0::config {
namespace {

using settings::Name;

// Each enumeration's names, in the order of its enumerators.
constexpr std::array<std::string_view, 2> kServerModeNames{"echo", "lottery"};
constexpr std::array<std::string_view, 2> kConcurrencyNames{"sequential", "process"};
constexpr std::array<std::string_view, 2> kRoundStartNames{"resume", "new"};
constexpr std::array<std::string_view, 2> kDurabilityNames{"process", "machine"};

constexpr std::size_t kMaxAgencyIds = 10000;
constexpr std::uint64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();
constexpr Name kAgencies{"SERVER_AGENCIES"};
constexpr Name kAgencyIds{"SERVER_AGENCY_IDS"};
constexpr Name kMaxChildren{"SERVER_MAX_CHILDREN"};

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
    ids.push_back(static_cast<std::uint32_t>(settings::parse_integer(name, item, 1, kMaxUint32)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(ids.begin(), ids.end());
  if (const auto repeated = std::adjacent_find(ids.begin(), ids.end()); repeated != ids.end()) {
    settings::fail(name, "agency " + std::to_string(*repeated) + " is listed more than once");
  }
  return ids;
}

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
  for (std::size_t number = 1; !contents.empty(); ++number) {
    const std::size_t end = std::min(contents.find('\n'), contents.size());
    std::string_view line = contents.substr(0, end);
    contents.remove_prefix(std::min(end + 1, contents.size()));
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.size() > kMaxIniLine) {
      throw ConfigError("cannot parse " + path + ": line " + std::to_string(number) + " is longer than " +
                        std::to_string(kMaxIniLine) + " characters");
    }
  }
}

std::map<std::string, std::string> parse_ini_file(const std::string& path) {
  std::map<std::string, std::string> entries;
  const std::optional<std::string> contents = settings::read_file_if_present(path);
  if (!contents) return entries;
  check_line_lengths(path, *contents);
  const int result = ini_parse_string(contents->c_str(), collect_default_entry, &entries);
  if (result > 0) {
    throw ConfigError("cannot parse " + path + ": line " + std::to_string(result) +
                      " is neither [section], name = value nor a comment");
  }
  if (result < 0) throw ConfigError("cannot parse " + path + ": out of memory");
  return entries;
}

}  // namespace

std::string_view to_string(ServerMode mode) { return kServerModeNames.at(static_cast<std::size_t>(mode)); }

std::string_view to_string(Concurrency concurrency) {
  return kConcurrencyNames.at(static_cast<std::size_t>(concurrency));
}

ServerConfig load_server_config(const std::string& ini_path, const Environment& env) {
  const settings::Reader in(
      [entries = parse_ini_file(ini_path)](const Name& name) -> std::optional<std::string> {
        if (const auto it = entries.find(std::string(name.key)); it != entries.end()) return it->second;
        return std::nullopt;
      },
      env);
  ServerConfig config;
  in.number({"SERVER_PORT"}, config.port, 0, 65535);
  in.text({"SERVER_IP"}, config.ip);
  in.number({"SERVER_LISTEN_BACKLOG"}, config.listen_backlog, 1, std::numeric_limits<int>::max());
  in.choice({"LOGGING_LEVEL"}, config.logging_level, logging::kLevelNames);
  in.choice({"SERVER_MODE"}, config.mode, kServerModeNames);
  in.choice({"SERVER_CONCURRENCY"}, config.concurrency, kConcurrencyNames);
  auto agencies = static_cast<std::uint32_t>(config.agency_ids.size());
  in.number(kAgencies, agencies, 0, kMaxAgencyIds);
  if (const auto ids = in.lookup(kAgencyIds)) {
    config.agency_ids = parse_agency_ids(kAgencyIds, *ids);
    const auto listed = static_cast<std::uint32_t>(config.agency_ids.size());
    if (in.lookup(kAgencies) && agencies != listed) {
      settings::fail(kAgencyIds, "lists " + std::to_string(listed) + " agencies but " +
                                     std::string(kAgencies.key) + " is " + std::to_string(agencies) +
                                     ": the two disagree");
    }
  } else {
    config.agency_ids.resize(agencies);
    std::iota(config.agency_ids.begin(), config.agency_ids.end(), std::uint32_t{1});
  }
  in.text({"STORAGE_FILEPATH"}, config.storage_path);
  // Durations > 0, rounded up to whole milliseconds, so never to zero.
  in.duration({"SERVER_IDLE_TIMEOUT"}, config.idle_timeout, std::chrono::nanoseconds(1));
  in.duration({"SERVER_HELLO_TIMEOUT"}, config.hello_timeout, std::chrono::nanoseconds(1));
  in.duration({"SERVER_FRAME_TIMEOUT"}, config.frame_timeout, std::chrono::nanoseconds(1));
  in.duration({"SERVER_CONVERSATION_BUDGET"}, config.conversation_budget, std::chrono::nanoseconds(1));
  in.number(kMaxChildren, config.max_children, 1, kMaxUint32);
  in.number({"SERVER_MAX_INTRODUCTIONS_PER_NETWORK"}, config.max_introductions_per_network, 1, kMaxUint32);
  in.number({"SERVER_INTRODUCTIONS_PER_SECOND"}, config.introductions_per_second, 1, kMaxUint32);
  in.duration({"SERVER_REPLACE_INTERVAL"}, config.replace_interval, std::chrono::nanoseconds(0));
  in.number({"SERVER_MAX_BETS_PER_AGENCY"}, config.max_bets_per_agency, 1, kMaxUint32);
  in.choice({"SERVER_ROUND"}, config.round, kRoundStartNames);
  in.choice({"SERVER_DURABILITY"}, config.durability, kDurabilityNames);
  config.tls =
      in.tls({{"SERVER_TLS"}, {"SERVER_TLS_CERT"}, {"SERVER_TLS_KEY"}, {"SERVER_TLS_CA"}, {"SERVER_TLS_CRL"}},
             config.mode == ServerMode::kLottery, *config.tls);
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
  return logging::Event("config", logging::Result::kSuccess)
      .with("port", config.port)
      .with("listen_backlog", config.listen_backlog)
      .with("logging_level", logging::level_name(config.logging_level));
}

}  // namespace tp0::config
