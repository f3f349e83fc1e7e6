#pragma once

#include <stdexcept>

namespace tp0::config {

// The one exception the config component throws. what() is a single line meant for a
// person, naming the setting ("missing setting id (CLI_ID)") or the file as a whole
// (unreadable, not valid YAML or INI).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tp0::config
