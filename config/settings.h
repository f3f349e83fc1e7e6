#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/logging/logging.h"

// Helpers shared by the client and server loaders: turning the raw text of one setting
// into a typed value, or into a ConfigError naming that setting. Not part of the
// component's public interface.
namespace tp0::config::settings {

// How a setting is called in the config file and in the environment. `env` may equal
// `key` (the server's INI file) and either may be empty when the setting lives in only
// one place (the client's bet variables are env-only).
struct Name {
  std::string_view key;
  std::string_view env;

  // For messages: "loop.period (CLI_LOOP_PERIOD)", "SERVER_PORT", "NOMBRE".
  std::string describe() const;
  // What ConfigError::key() reports: `key`, or `env` when there is no file key.
  std::string error_key() const;
};

// Throws ConfigError "invalid setting <name>: <problem>".
[[noreturn]] void fail(const Name& name, const std::string& problem);

// Throws ConfigError "missing setting <name>" followed by `detail` when not empty.
[[noreturn]] void fail_missing(const Name& name, std::string_view detail = {});

// `text` between double quotes, with quotes, backslashes and control characters escaped
// so a message always stays on one line.
std::string quote(std::string_view text);

// The whole of `text` as a decimal integer within [min, max], no sign, spaces or other
// characters. Throws ConfigError otherwise.
std::uint64_t parse_integer(const Name& name, const std::string& text, std::uint64_t min,
                            std::uint64_t max);

// A Go duration (see parse_duration) not below `min`. Throws ConfigError otherwise.
std::chrono::nanoseconds parse_duration_at_least(const Name& name, const std::string& text,
                                                 std::chrono::nanoseconds min);

// One of DEBUG, INFO, WARNING, ERROR, CRITICAL in any case.
logging::Level parse_log_level(const Name& name, const std::string& text);

// The index in `choices` of `text`, compared case-insensitively.
std::size_t parse_choice(const Name& name, const std::string& text,
                         std::span<const std::string_view> choices);

// `text` itself, rejecting an empty value.
std::string require_non_empty(const Name& name, const std::string& text);

// "on" or "off", in any case: true for on.
bool parse_on_off(const Name& name, const std::string& text);

// `path` itself, once it names a file this process can read. Throws ConfigError
// "invalid setting <name>: cannot read <path>: <reason>" otherwise.
std::string require_readable_file(const Name& name, const std::string& path);

// The contents of the file at `path`, or nullopt when it does not exist. Throws
// ConfigError "cannot read <path>: <reason>" when it exists but cannot be read.
std::optional<std::string> read_file_if_present(const std::string& path);

}  // namespace tp0::config::settings
