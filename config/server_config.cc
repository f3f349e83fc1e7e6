#include "config/server_config.h"

#include <ini.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "config/settings.h"

namespace tp0::config {
namespace {

using settings::Name;

constexpr Name kPort{"SERVER_PORT", "SERVER_PORT"};
constexpr Name kIp{"SERVER_IP", "SERVER_IP"};
constexpr Name kListenBacklog{"SERVER_LISTEN_BACKLOG", "SERVER_LISTEN_BACKLOG"};
constexpr Name kLoggingLevel{"LOGGING_LEVEL", "LOGGING_LEVEL"};
constexpr Name kMode{"SERVER_MODE", "SERVER_MODE"};
constexpr Name kConcurrency{"SERVER_CONCURRENCY", "SERVER_CONCURRENCY"};
constexpr Name kAgencies{"SERVER_AGENCIES", "SERVER_AGENCIES"};
constexpr Name kAgencyIds{"SERVER_AGENCY_IDS", "SERVER_AGENCY_IDS"};
constexpr Name kStoragePath{"STORAGE_FILEPATH", "STORAGE_FILEPATH"};
constexpr Name kIdleTimeout{"SERVER_IDLE_TIMEOUT", "SERVER_IDLE_TIMEOUT"};
constexpr Name kMaxChildren{"SERVER_MAX_CHILDREN", "SERVER_MAX_CHILDREN"};
constexpr Name kHelloTimeout{"SERVER_HELLO_TIMEOUT", "SERVER_HELLO_TIMEOUT"};
constexpr Name kFrameTimeout{"SERVER_FRAME_TIMEOUT", "SERVER_FRAME_TIMEOUT"};
constexpr Name kMaxBetsPerAgency{"SERVER_MAX_BETS_PER_AGENCY", "SERVER_MAX_BETS_PER_AGENCY"};
constexpr Name kMaxIntroductionsPerAddress{"SERVER_MAX_INTRODUCTIONS_PER_ADDRESS",
                                           "SERVER_MAX_INTRODUCTIONS_PER_ADDRESS"};
constexpr Name kRound{"SERVER_ROUND", "SERVER_ROUND"};
constexpr Name kDurability{"SERVER_DURABILITY", "SERVER_DURABILITY"};
constexpr Name kTls{"SERVER_TLS", "SERVER_TLS"};
constexpr Name kTlsCert{"SERVER_TLS_CERT", "SERVER_TLS_CERT"};
constexpr Name kTlsKey{"SERVER_TLS_KEY", "SERVER_TLS_KEY"};
constexpr Name kTlsCa{"SERVER_TLS_CA", "SERVER_TLS_CA"};

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

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

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

// inih callback: keeps the [DEFAULT] entries, keyed by upper-cased name. A repeated key
// keeps its last value.
int collect_default_entry(void* user, const char* section, const char* name, const char* value) {
  if (std::string_view(section) == kSection) {
    (*static_cast<std::map<std::string, std::string>*>(user))[to_upper(name)] = value;
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
      throw ConfigError("", "cannot parse " + path + ": line " + std::to_string(number) +
                                " is longer than " + std::to_string(kMaxIniLine) + " characters");
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

// Where the server's settings come from: the environment first, then the INI file.
class Sources {
 public:
  Sources(std::map<std::string, std::string> file, const Environment& env)
      : file_(std::move(file)), env_(env) {}

  std::optional<std::string> lookup(const Name& name) const {
    if (auto value = env_(std::string(name.env)); value && !value->empty()) return value;
    if (const auto it = file_.find(std::string(name.key)); it != file_.end()) return it->second;
    return std::nullopt;
  }

 private:
  std::map<std::string, std::string> file_;
  const Environment& env_;
};

}  // namespace

std::string_view to_string(ServerMode mode) { return kServerModeNames.at(static_cast<std::size_t>(mode)); }

std::string_view to_string(Concurrency concurrency) {
  return kConcurrencyNames.at(static_cast<std::size_t>(concurrency));
}

ServerConfig load_server_config(const std::string& ini_path, const Environment& env) {
  const Sources sources(parse_ini_file(ini_path), env);
  ServerConfig config;

  if (auto text = sources.lookup(kPort)) {
    config.port = static_cast<std::uint16_t>(settings::parse_integer(kPort, *text, 0, 65535));
  }
  if (auto text = sources.lookup(kIp)) config.ip = settings::require_non_empty(kIp, *text);
  if (auto text = sources.lookup(kListenBacklog)) {
    config.listen_backlog = static_cast<int>(
        settings::parse_integer(kListenBacklog, *text, 1, std::numeric_limits<int>::max()));
  }
  if (auto text = sources.lookup(kLoggingLevel)) {
    config.logging_level = settings::parse_log_level(kLoggingLevel, *text);
  }
  if (auto text = sources.lookup(kMode)) {
    config.mode = static_cast<ServerMode>(settings::parse_choice(kMode, *text, kServerModeNames));
  }
  if (auto text = sources.lookup(kConcurrency)) {
    config.concurrency = static_cast<Concurrency>(settings::parse_choice(kConcurrency, *text, kConcurrencyNames));
  }
  const std::optional<std::string> agencies_text = sources.lookup(kAgencies);
  if (agencies_text) {
    config.agencies = static_cast<std::uint32_t>(
        settings::parse_integer(kAgencies, *agencies_text, 0, kMaxAgencyIds));
  }
  if (auto text = sources.lookup(kAgencyIds)) {
    config.agency_ids = parse_agency_ids(kAgencyIds, *text);
    const auto listed = static_cast<std::uint32_t>(config.agency_ids.size());
    if (agencies_text && config.agencies != listed) {
      settings::fail(kAgencyIds, "lists " + std::to_string(listed) + " agencies but " +
                                     std::string(kAgencies.key) + " is " +
                                     std::to_string(config.agencies) + ": the two disagree");
    }
    config.agencies = listed;
  } else {
    config.agency_ids.clear();
    for (std::uint32_t id = 1; id <= config.agencies; ++id) config.agency_ids.push_back(id);
  }
  if (auto text = sources.lookup(kStoragePath)) {
    config.storage_path = settings::require_non_empty(kStoragePath, *text);
  }
  if (auto text = sources.lookup(kIdleTimeout)) {
    const auto timeout =
        settings::parse_duration_at_least(kIdleTimeout, *text, std::chrono::nanoseconds(1));
    config.idle_timeout = std::chrono::ceil<std::chrono::milliseconds>(timeout);
  }
  if (auto text = sources.lookup(kHelloTimeout)) {
    const auto timeout =
        settings::parse_duration_at_least(kHelloTimeout, *text, std::chrono::nanoseconds(1));
    config.hello_timeout = std::chrono::ceil<std::chrono::milliseconds>(timeout);
  }
  if (auto text = sources.lookup(kFrameTimeout)) {
    const auto timeout =
        settings::parse_duration_at_least(kFrameTimeout, *text, std::chrono::nanoseconds(1));
    config.frame_timeout = std::chrono::ceil<std::chrono::milliseconds>(timeout);
  }
  if (auto text = sources.lookup(kMaxChildren)) {
    config.max_children = static_cast<std::uint32_t>(
        settings::parse_integer(kMaxChildren, *text, 1, std::numeric_limits<std::uint32_t>::max()));
  }
  if (auto text = sources.lookup(kMaxIntroductionsPerAddress)) {
    config.max_introductions_per_address = static_cast<std::uint32_t>(settings::parse_integer(
        kMaxIntroductionsPerAddress, *text, 1, std::numeric_limits<std::uint32_t>::max()));
  }
  if (auto text = sources.lookup(kMaxBetsPerAgency)) {
    config.max_bets_per_agency = static_cast<std::uint32_t>(
        settings::parse_integer(kMaxBetsPerAgency, *text, 1, std::numeric_limits<std::uint32_t>::max()));
  }
  if (auto text = sources.lookup(kRound)) {
    config.round = static_cast<RoundStart>(settings::parse_choice(kRound, *text, kRoundStartNames));
  }
  if (auto text = sources.lookup(kDurability)) {
    config.durability = static_cast<Durability>(settings::parse_choice(kDurability, *text, kDurabilityNames));
  }
  // Checked in every mode, like any setting, though only the lottery speaks TLS.
  const auto tls_text = sources.lookup(kTls);
  const bool tls_on = !tls_text || settings::parse_on_off(kTls, *tls_text);
  if (config.mode == ServerMode::kLottery && tls_on) {
    tls::Credentials& files = *config.tls;
    if (auto text = sources.lookup(kTlsCert)) files.certificate = *text;
    if (auto text = sources.lookup(kTlsKey)) files.key = *text;
    if (auto text = sources.lookup(kTlsCa)) files.authority = *text;
    settings::require_readable_file(kTlsCert, files.certificate);
    settings::require_readable_file(kTlsKey, files.key);
    settings::require_readable_file(kTlsCa, files.authority);
  } else {
    config.tls.reset();
  }
  if (config.mode == ServerMode::kLottery && config.concurrency == Concurrency::kProcess && config.max_children < 2) {
    settings::fail(kMaxChildren, "must be at least 2 for a process lottery server: one child holds the "
                                 "connections waiting for the draw");
  }
  return config;
}

}  // namespace tp0::config
