#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "config/config_error.h"
#include "config/environment.h"

namespace tp0::config {

// A setting's two names: as written in the file, and as an environment variable.
struct Key {
  std::string file_key;
  std::string variable;

  // "loop.period (CLI_LOOP_PERIOD)", or just "SERVER_PORT" when both names are the same.
  std::string describe() const;
};

// Resolves settings by precedence: the environment, then the file, then the default.
// Every accessor throws ConfigError naming the key when the text found is not valid.
class Settings {
 public:
  Settings(std::map<std::string, std::string> file_values, Environment environment)
      : file_values_(std::move(file_values)), environment_(std::move(environment)) {}

  // The raw text of a setting, or nullopt when neither source has it.
  std::optional<std::string> find(const Key& key) const;

  std::string text(const Key& key, const std::string& fallback) const;
  // Throws ConfigError ("missing setting ...") when the setting is absent.
  std::string required_text(const Key& key) const;
  // A decimal integer from `min` to `max`, the whole text and nothing else.
  std::uint64_t integer(const Key& key, std::uint64_t fallback, std::uint64_t min,
                        std::uint64_t max) const;
  // A Go duration, not negative.
  std::chrono::nanoseconds duration(const Key& key, std::chrono::nanoseconds fallback) const;
  // DEBUG, INFO, WARNING, ERROR or CRITICAL in any case; returned upper-case.
  std::string log_level(const Key& key, const std::string& fallback) const;

  // One of `choices` by name, in any case.
  template <typename Enum>
  Enum choice(const Key& key, Enum fallback,
              std::initializer_list<std::pair<const char*, Enum>> choices) const {
    const auto found = find(key);
    if (!found) return fallback;
    const std::string wanted = lower(*found);
    std::string names;
    for (const auto& [name, value] : choices) {
      if (wanted == name) return value;
      names += names.empty() ? name : std::string(", ") + name;
    }
    throw invalid(key, *found, "expected one of " + names);
  }

  // The error for a setting whose text is not acceptable.
  static ConfigError invalid(const Key& key, const std::string& value, const std::string& why);

 private:
  static std::string lower(std::string text);

  std::map<std::string, std::string> file_values_;
  Environment environment_;
};

}  // namespace tp0::config
