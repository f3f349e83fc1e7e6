#pragma once

#include <map>
#include <string>

#include "config/environment.h"

namespace tp0::config {

inline Environment fake_environment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end() || found->second.empty()) return std::nullopt;
    return found->second;
  };
}

// Runs `load` and returns the ConfigError message it throws ("" if none).
template <typename Load>
std::string config_error_of(Load load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

}  // namespace tp0::config
