#include "config/config_error.h"

#include <utility>

namespace tp0::config {

ConfigError::ConfigError(std::string key, const std::string& message)
    : std::runtime_error(message), key_(std::move(key)) {}

}  // namespace tp0::config
