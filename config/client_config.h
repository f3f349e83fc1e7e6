#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config_error.h"
#include "config/environment.h"

namespace tp0::config {

enum class ClientMode { kEcho, kBet, kBatch, kLottery };

// The bet of mode `bet`, as raw text from NOMBRE, APELLIDO, DOCUMENTO, NACIMIENTO and
// NUMERO; whether it is a valid bet is the domain's call.
struct BetSettings {
  std::string first_name;
  std::string last_name;
  std::string document;
  std::string birthdate;
  std::string number;
};

// Bets per batch when config.yaml does not say. A bet on the wire takes 15 bytes plus its
// first name, last name and document, which add up to at most 41 bytes in the course's
// data: 56 bytes. With the batch frame's 11-byte header, 11 + 146 * 56 = 8187 <= 8192.
inline constexpr std::uint32_t kDefaultBatchMaxAmount = 146;

struct ClientConfig {
  std::uint32_t id = 0;
  std::string server_address;
  std::uint32_t loop_amount = 0;
  std::chrono::nanoseconds loop_period{0};
  std::string log_level;
  std::uint32_t batch_max_amount = kDefaultBatchMaxAmount;
  ClientMode mode = ClientMode::kLottery;
  std::string data_file;
  std::optional<BetSettings> bet;  // set only in mode bet
};

// Reads `yaml_path` (a missing file means defaults and environment only) and applies the
// environment on top; see README "Configuration" for every key, variable and default.
// Throws ConfigError naming the key for a missing or invalid setting, or naming the file
// when it cannot be read or parsed.
ClientConfig load_client_config(const std::string& yaml_path, const Environment& environment);

std::string_view to_string(ClientMode mode);

}  // namespace tp0::config
