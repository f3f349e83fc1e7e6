#include "config/server_config.h"

#include <ini.h>

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
constexpr Name kStoragePath{"STORAGE_FILEPATH", "STORAGE_FILEPATH"};
constexpr Name kIdleTimeout{"SERVER_IDLE_TIMEOUT", "SERVER_IDLE_TIMEOUT"};
constexpr Name kMaxChildren{"SERVER_MAX_CHILDREN", "SERVER_MAX_CHILDREN"};

constexpr char kSection[] = "DEFAULT";

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// inih callback: keeps the [DEFAULT] entries, keyed by upper-cased name. A repeated key
// keeps its last value.
int collect_default_entry(void* user, const char* section, const char* name, const char* value) {
  if (std::string_view(section) == kSection) {
    (*static_cast<std::map<std::string, std::string>*>(user))[to_upper(name)] = value;
  }
  return 1;
}

std::map<std::string, std::string> parse_ini_file(const std::string& path) {
  std::map<std::string, std::string> entries;
  const std::optional<std::string> contents = settings::read_file_if_present(path);
  if (!contents) return entries;
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

std::string_view to_string(ServerMode mode) {
  switch (mode) {
    case ServerMode::kEcho:
      return "echo";
    case ServerMode::kLottery:
      return "lottery";
  }
  return "unknown";
}

std::string_view to_string(Concurrency concurrency) {
  switch (concurrency) {
    case Concurrency::kSequential:
      return "sequential";
    case Concurrency::kProcess:
      return "process";
  }
  return "unknown";
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
    // Same order as the enumerators.
    config.mode = static_cast<ServerMode>(settings::parse_choice(kMode, *text, {"echo", "lottery"}));
  }
  if (auto text = sources.lookup(kConcurrency)) {
    config.concurrency = static_cast<Concurrency>(
        settings::parse_choice(kConcurrency, *text, {"sequential", "process"}));
  }
  if (auto text = sources.lookup(kAgencies)) {
    config.agencies = static_cast<std::uint32_t>(settings::parse_integer(kAgencies, *text, 0, 10000));
  }
  if (auto text = sources.lookup(kStoragePath)) {
    config.storage_path = settings::require_non_empty(kStoragePath, *text);
  }
  if (auto text = sources.lookup(kIdleTimeout)) {
    const auto timeout =
        settings::parse_duration_at_least(kIdleTimeout, *text, std::chrono::nanoseconds(1));
    config.idle_timeout = std::chrono::ceil<std::chrono::milliseconds>(timeout);
  }
  if (auto text = sources.lookup(kMaxChildren)) {
    config.max_children = static_cast<std::uint32_t>(
        settings::parse_integer(kMaxChildren, *text, 1, std::numeric_limits<std::uint32_t>::max()));
  }
  return config;
}

}  // namespace tp0::config
