#include "config/server_config.h"

#include <ini.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "config/settings.h"

namespace tp0::config {
namespace {

Key named(const char* name) { return Key{name, name}; }

int collect(void* user, const char* section, const char* name, const char* value) {
  if (std::strcmp(section, "DEFAULT") == 0) {
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return 1;
}

std::map<std::string, std::string> read_ini(const std::string& path) {
  std::map<std::string, std::string> values;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return values;
  const int status = ini_parse(path.c_str(), collect, &values);
  if (status == -1) throw ConfigError("", "cannot open " + path);
  if (status == -2) throw ConfigError("", "cannot parse " + path + ": out of memory");
  if (status > 0) throw ConfigError("", "cannot parse " + path + ": syntax error on line " + std::to_string(status));
  return values;
}

}  // namespace

ServerConfig load_server_config(const std::string& ini_path, const Environment& environment) {
  const Settings settings(read_ini(ini_path), environment);
  const ServerConfig defaults;
  ServerConfig config;
  config.port = static_cast<std::uint16_t>(settings.integer(named("SERVER_PORT"), defaults.port, 0, 65535));
  config.ip = settings.text(named("SERVER_IP"), defaults.ip);
  if (config.ip.empty()) throw Settings::invalid(named("SERVER_IP"), "", "expected an address or a name");
  config.listen_backlog = static_cast<int>(
      settings.integer(named("SERVER_LISTEN_BACKLOG"), static_cast<std::uint64_t>(defaults.listen_backlog), 1, 65535));
  config.logging_level = settings.log_level(named("LOGGING_LEVEL"), defaults.logging_level);
  config.mode = settings.choice(named("SERVER_MODE"), defaults.mode,
                                {{"echo", ServerMode::kEcho}, {"lottery", ServerMode::kLottery}});
  config.concurrency = settings.choice(named("SERVER_CONCURRENCY"), defaults.concurrency,
                                       {{"sequential", Concurrency::kSequential},
                                        {"process", Concurrency::kProcess}});
  config.agencies = static_cast<std::uint32_t>(settings.integer(named("SERVER_AGENCIES"), defaults.agencies, 1, 10'000));
  config.storage_path = settings.text(named("STORAGE_FILEPATH"), defaults.storage_path);
  if (config.storage_path.empty()) throw Settings::invalid(named("STORAGE_FILEPATH"), "", "expected a file path");
  const auto idle = settings.duration(named("SERVER_IDLE_TIMEOUT"), defaults.idle_timeout);
  if (idle < std::chrono::milliseconds(1)) {
    throw Settings::invalid(named("SERVER_IDLE_TIMEOUT"), settings.text(named("SERVER_IDLE_TIMEOUT"), ""),
                            "must be at least 1ms");
  }
  config.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(idle);
  config.max_children = static_cast<std::uint32_t>(
      settings.integer(named("SERVER_MAX_CHILDREN"), defaults.max_children, 1, 100'000));
  return config;
}

}  // namespace tp0::config
