#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/tls/credentials.h"
#include "config/environment.h"

// What the client and server loaders share: each program reads its settings one line per
// setting through a Reader, whose parsers and messages are written once, here. Not part of
// the component's public interface.
namespace tp0::config::settings {

// How a setting is called: `key` in the config file ("loop.period", "SERVER_PORT"; empty
// when only the environment sets it) and `variable` in the environment, which is the key
// itself when left empty (the server's INI file uses the variables' names).
struct Name {
  std::string_view key;
  std::string_view variable = {};

  std::string_view env() const { return variable.empty() ? key : variable; }
  // For messages: "loop.period (CLI_LOOP_PERIOD)", "SERVER_PORT", "NOMBRE".
  std::string describe() const;
};

// Throws ConfigError "invalid setting <name>: <problem>".
[[noreturn]] void fail(const Name& name, const std::string& problem);

// `text` between double quotes, escaped as the log escapes values, so that a message always
// stays on one line.
std::string quote(std::string_view text);

// The contents of the file at `path`, or nullopt when it does not exist. Throws
// ConfigError "cannot read <path>: <reason>" when it exists but cannot be read.
std::optional<std::string> read_file_if_present(const std::string& path);

// The parsers: each turns the text of one setting into its value, or throws ConfigError
// naming the setting.

// The whole text as a decimal number within [min, max], no sign, spaces or other characters.
std::uint64_t parse_integer(const Name& name, const std::string& text, std::uint64_t min, std::uint64_t max);

// A Go duration (see parse_duration) not below `min`.
std::chrono::nanoseconds parse_duration_at_least(const Name& name, const std::string& text,
                                                 std::chrono::nanoseconds min);

// The index in `choices` of the text, compared case-insensitively.
std::size_t parse_choice(const Name& name, const std::string& text,
                         std::span<const std::string_view> choices);

// The TLS switch and files of a program. Both programs read them alike: the switch (on or
// off, on by default) is checked in every mode, though only some modes speak TLS. Only the
// server names a revocation list.
struct TlsNames {
  Name on;
  Name certificate;
  Name key;
  Name authority;
  Name revocations = {};
};

// A program's settings, each from the environment first (an empty variable counts as
// unset), then from the config file. Each reading method stores the setting's value in
// `value` when a source sets it, and leaves `value`, the default, alone otherwise.
class Reader {
 public:
  // The text the config file gives a setting, or nullopt when it leaves it unset.
  using File = std::function<std::optional<std::string>(const Name& name)>;

  Reader(File file, const Environment& env) : file_(std::move(file)), env_(env) {}

  // The setting's text, or nullopt when no source sets it.
  std::optional<std::string> lookup(const Name& name) const;

  // The setting's text, which no default may stand in for: unset, it is an error, "missing
  // setting <name> <why>".
  std::string required(const Name& name, std::string_view why = {}) const;

  // What `parse(name, text)` makes of the setting's text.
  template <typename Value, typename Parse>
  void read(const Name& name, Value& value, Parse parse) const {
    if (auto text = lookup(name)) value = static_cast<Value>(parse(name, *text));
  }

  // A whole number within [min, max].
  template <typename Number>
  void number(const Name& name, Number& value, std::uint64_t min, std::uint64_t max) const {
    read(name, value,
         [&](const Name& n, const std::string& text) { return parse_integer(n, text, min, max); });
  }

  // A Go duration not below `min`, rounded up to `value`'s unit.
  template <typename Duration>
  void duration(const Name& name, Duration& value, std::chrono::nanoseconds min) const {
    read(name, value, [&](const Name& n, const std::string& text) {
      return std::chrono::ceil<Duration>(parse_duration_at_least(n, text, min));
    });
  }

  // One of `names` in any case, as the enumerator of the same index.
  template <typename Enum>
  void choice(const Name& name, Enum& value, std::span<const std::string_view> names) const {
    read(name, value, [&](const Name& n, const std::string& text) { return parse_choice(n, text, names); });
  }

  // Any text but an empty one.
  void text(const Name& name, std::string& value) const;

  // When `speaks_tls` and the switch is on: `defaults`, with the paths the settings name
  // instead, each a file this process can read, the key readable by its owner alone; the
  // revocation list (by default crl.pem beside the CA) left empty when it does not exist.
  // Otherwise nullopt.
  std::optional<tls::Credentials> tls(const TlsNames& names, bool speaks_tls,
                                      tls::Credentials defaults) const;

 private:
  File file_;
  const Environment& env_;
};

}  // namespace tp0::config::settings
