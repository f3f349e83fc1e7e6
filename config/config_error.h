#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace tp0::config {

// The one exception the config component throws. what() is a single line meant for a
// person ("missing setting id (CLI_ID)"); key() names the offending setting as written
// in the config file ("loop.period", "SERVER_PORT"), or is empty when the problem is
// the file as a whole (unreadable, not valid YAML or INI).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}

  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace tp0::config
