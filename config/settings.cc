#include "config/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "config/duration.h"

namespace tp0::config {

std::string Key::describe() const {
  return file_key == variable ? file_key : file_key + " (" + variable + ")";
}

ConfigError Settings::invalid(const Key& key, const std::string& value, const std::string& why) {
  return ConfigError(key.file_key,
                     "invalid setting " + key.describe() + ": \"" + value + "\": " + why);
}

std::string Settings::lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::optional<std::string> Settings::find(const Key& key) const {
  if (auto value = environment_(key.variable)) return value;
  const auto in_file = file_values_.find(key.file_key);
  if (in_file != file_values_.end()) return in_file->second;
  return std::nullopt;
}

std::string Settings::text(const Key& key, const std::string& fallback) const {
  return find(key).value_or(fallback);
}

std::string Settings::required_text(const Key& key) const {
  auto value = find(key);
  if (!value || value->empty()) throw ConfigError(key.file_key, "missing setting " + key.describe());
  return *value;
}

std::uint64_t Settings::integer(const Key& key, std::uint64_t fallback, std::uint64_t min,
                                std::uint64_t max) const {
  const auto found = find(key);
  if (!found) return fallback;
  const std::string& text = *found;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string range = "expected a whole number from " + std::to_string(min) + " to " +
                            std::to_string(max);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    throw invalid(key, text, range);
  }
  if (value < min || value > max) throw invalid(key, text, range);
  return value;
}

std::chrono::nanoseconds Settings::duration(const Key& key, std::chrono::nanoseconds fallback) const {
  const auto found = find(key);
  if (!found) return fallback;
  std::chrono::nanoseconds value;
  try {
    value = parse_duration(*found);
  } catch (const std::invalid_argument&) {
    throw invalid(key, *found, "expected a duration like 50ms, 1.5s or 1m30s");
  }
  if (value.count() < 0) throw invalid(key, *found, "a duration cannot be negative");
  return value;
}

std::string Settings::log_level(const Key& key, const std::string& fallback) const {
  const auto found = find(key);
  if (!found) return fallback;
  std::string upper = *found;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* level : {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}) {
    if (upper == level) return upper;
  }
  throw invalid(key, *found, "expected DEBUG, INFO, WARNING, ERROR or CRITICAL");
}

}  // namespace tp0::config
