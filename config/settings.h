#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/logging/logging.h"
#include "common/tls/credentials.h"
#include "config/duration.h"
#include "config/environment.h"

// What the client and server loaders share: each program describes its settings as a table
// of rows (name, parser, member), and reading, overriding, checking and logging them is
// written once here, over the table. Not part of the component's public interface.
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

// Throws ConfigError "missing setting <name>" followed by `detail` when not empty.
[[noreturn]] void fail_missing(const Name& name, std::string_view detail = {});

// `text` between double quotes, escaped as the log escapes values, so that a message always
// stays on one line.
std::string quote(std::string_view text);

// The contents of the file at `path`, or nullopt when it does not exist. Throws
// ConfigError "cannot read <path>: <reason>" when it exists but cannot be read.
std::optional<std::string> read_file_if_present(const std::string& path);

// Where a program's settings come from: the environment first (an empty variable counts as
// unset), then the config file.
class Sources {
 public:
  // The text the config file gives a setting, or nullopt when it leaves it unset.
  using File = std::function<std::optional<std::string>(const Name& name)>;

  Sources(File file, const Environment& env) : file_(std::move(file)), env_(env) {}

  std::optional<std::string> lookup(const Name& name) const;

 private:
  File file_;
  const Environment& env_;
};

// The parsers of the tables' rows: each turns the text of one setting into its value, or
// throws ConfigError naming the setting.

// The whole text as a decimal number within [kMin, kMax], no sign, spaces or other characters.
std::uint64_t parse_integer(const Name& name, const std::string& text, std::uint64_t min, std::uint64_t max);
template <std::uint64_t kMin, std::uint64_t kMax>
std::uint64_t whole_number(const Name& name, const std::string& text) {
  return parse_integer(name, text, kMin, kMax);
}

// A Go duration (see parse_duration) not below `min`.
std::chrono::nanoseconds parse_duration_at_least(const Name& name, const std::string& text,
                                                 std::chrono::nanoseconds min);
template <std::int64_t kMinNanoseconds>
std::chrono::nanoseconds duration(const Name& name, const std::string& text) {
  return parse_duration_at_least(name, text, std::chrono::nanoseconds(kMinNanoseconds));
}

// The index in `choices` of the text, compared case-insensitively.
std::size_t parse_choice(const Name& name, const std::string& text,
                         std::span<const std::string_view> choices);
template <const auto& kChoices>
std::size_t choice(const Name& name, const std::string& text) {
  return parse_choice(name, text, kChoices);
}

// The text as it is.
inline std::string any_text(const Name&, const std::string& text) { return text; }

// The text as it is, refused when empty.
std::string non_empty_text(const Name& name, const std::string& text);

// One row of a program's table of settings: where it is read, how its text is parsed and
// stored in its member of Config, and how the program's `config` line shows it.
template <typename Config>
struct Setting {
  Name name;
  void (*store)(Config& config, const Name& name, const std::string& text);
  // Its key in the `config` line; empty (and `log` null) when the line leaves it out.
  std::string_view logged_as;
  void (*log)(logging::Event& event, std::string_view key, const Config& config);
  bool required;
};

// The class kMember is a member of.
template <typename Owner, typename Value>
Owner owner_of(Value Owner::*);
template <auto kMember>
using OwnerOf = decltype(owner_of(kMember));

template <auto kMember, auto kParse>
void store(OwnerOf<kMember>& config, const Name& name, const std::string& text) {
  config.*kMember = static_cast<std::remove_reference_t<decltype(config.*kMember)>>(kParse(name, text));
}

template <auto kMember>
void log_member(logging::Event& event, std::string_view key, const OwnerOf<kMember>& config) {
  const auto& value = config.*kMember;
  if constexpr (std::is_same_v<std::decay_t<decltype(value)>, logging::Level>) {
    event.with(key, logging::level_name(value));
  } else if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::chrono::nanoseconds>) {
    event.with(key, format_duration(value));
  } else {
    event.with(key, value);
  }
}

// The row of the member kMember, whose text kParse parses.
template <auto kMember, auto kParse>
constexpr Setting<OwnerOf<kMember>> setting(Name name) {
  return {name, &store<kMember, kParse>, {}, nullptr, false};
}

// The same row, shown in the `config` line as `logged_as`.
template <auto kMember, auto kParse>
constexpr Setting<OwnerOf<kMember>> logged(Name name, std::string_view logged_as) {
  return {name, &store<kMember, kParse>, logged_as, &log_member<kMember>, false};
}

// `row`, which no default may stand in for.
template <typename Config>
constexpr Setting<Config> required(Setting<Config> row) {
  row.required = true;
  return row;
}

// Stores in `config` each setting of `table` that `sources` set, in the table's order; a
// required one unset is an error, "missing setting <name> <why_required>".
template <typename Config>
void read(Config& config, std::span<const Setting<Config>> table, const Sources& sources,
          std::string_view why_required = {}) {
  for (const Setting<Config>& row : table) {
    if (auto text = sources.lookup(row.name)) {
      row.store(config, row.name, *text);
    } else if (row.required) {
      fail_missing(row.name, why_required);
    }
  }
}

// "action: config | result: success" with the rows that have a key in that line.
template <typename Config>
logging::Event config_line(const Config& config, std::span<const Setting<Config>> table) {
  logging::Event event("config", logging::Result::kSuccess);
  for (const Setting<Config>& row : table) {
    if (row.log != nullptr) row.log(event, row.logged_as, config);
  }
  return event;
}

// The TLS switch and files of a program. Both programs read them alike: the switch (on or
// off, on by default) is checked in every mode, though only some modes speak TLS.
struct TlsNames {
  Name on;
  Name certificate;
  Name key;
  Name authority;
};

// When `speaks_tls` and the switch is on: `defaults`, with the paths the settings name
// instead, each a file this process can read. Otherwise nullopt.
std::optional<tls::Credentials> read_tls(const Sources& sources, const TlsNames& names, bool speaks_tls,
                                         tls::Credentials defaults);

}  // namespace tp0::config::settings
