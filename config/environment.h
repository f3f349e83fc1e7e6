#pragma once

#include <functional>
#include <optional>
#include <string>

namespace tp0::config {

// Looks up an environment variable by name. Returns nullopt when it is unset; an
// empty value counts as unset. Tests pass a fake backed by a map.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// The real environment of this process (getenv). Not safe to use while another thread
// modifies the environment.
Environment process_environment();

}  // namespace tp0::config
