#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/config_error.h"
#include "config/environment.h"

namespace tp0::config {

enum class ServerMode { kEcho, kLottery };
enum class Concurrency { kSequential, kProcess };

struct ServerConfig {
  std::uint16_t port = 12345;
  std::string ip = "server";
  int listen_backlog = 5;
  std::string logging_level = "INFO";
  ServerMode mode = ServerMode::kLottery;
  Concurrency concurrency = Concurrency::kProcess;
  std::uint32_t agencies = 5;
  std::string storage_path = "./bets.csv";
  std::chrono::milliseconds idle_timeout{30'000};
  std::uint32_t max_children = 64;
};

// Reads the [DEFAULT] section of `ini_path` (a missing file means defaults and
// environment only) and applies the environment on top; see README "Configuration".
// Throws ConfigError naming the key for an invalid setting, or naming the file and line
// when the file cannot be parsed.
ServerConfig load_server_config(const std::string& ini_path, const Environment& environment);

}  // namespace tp0::config
