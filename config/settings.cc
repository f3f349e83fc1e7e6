#include "config/settings.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "common/logging/event.h"
#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "common/text/decimal.h"
#include "config/config_error.h"
#include "config/duration.h"

namespace tp0::config::settings {
namespace {

[[noreturn]] void fail_reading(const std::string& path, int error_number) {
  throw ConfigError("cannot read " + path + ": " + std::strerror(error_number));
}

// A TLS file must be there to read at start, so that a wrong path is one line naming its
// setting rather than a handshake failing later. Returns its mode; nullopt when it does
// not exist and `may_be_absent`.
std::optional<mode_t> expect_readable_file(const Name& name, const std::string& path,
                                           bool may_be_absent = false) {
  const sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd && errno == ENOENT && may_be_absent) return std::nullopt;
  if (!fd) fail(name, "cannot read " + quote(path) + ": " + std::strerror(errno));
  struct stat status {};
  if (::fstat(fd.get(), &status) == -1)
    fail(name, "cannot read " + quote(path) + ": " + std::strerror(errno));
  if (!S_ISREG(status.st_mode)) fail(name, quote(path) + " is not a file");
  return status.st_mode;
}

// A private key others may read is no longer private: refused, as PostgreSQL refuses it.
void expect_private(const Name& name, const std::string& path, mode_t mode) {
  if ((mode & (S_IRGRP | S_IROTH)) == 0) return;
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
  fail(name, quote(path) + " is readable by group or others (mode " + octal + "): make it 0600");
}

}  // namespace

std::string Name::describe() const {
  if (key.empty()) return std::string(variable);
  if (variable.empty()) return std::string(key);
  return std::string(key) + " (" + std::string(variable) + ")";
}

void fail(const Name& name, const std::string& problem) {
  throw ConfigError("invalid setting " + name.describe() + ": " + problem);
}

// Appended rather than concatenated: GCC 12 at -O2 sees `"\"" + std::string` as a copy that
// may overlap itself (-Wrestrict), a false alarm.
std::string quote(std::string_view text) {
  std::string quoted = "\"";
  quoted += logging::escaped(text);
  quoted += '"';
  return quoted;
}

std::optional<std::string> Reader::lookup(const Name& name) const {
  if (auto value = env_(std::string(name.env())); value && !value->empty()) return value;
  if (name.key.empty()) return std::nullopt;
  return file_(name);
}

std::string Reader::required(const Name& name, std::string_view why) const {
  if (auto text = lookup(name)) return *text;
  std::string message = "missing setting " + name.describe();
  if (!why.empty()) message += " " + std::string(why);
  throw ConfigError(message);
}

void Reader::text(const Name& name, std::string& value) const {
  read(name, value, [](const Name& n, const std::string& text) {
    if (text.empty()) fail(n, "must not be empty");
    return text;
  });
}

std::uint64_t parse_integer(const Name& name, const std::string& text, std::uint64_t min, std::uint64_t max) {
  const auto value = text::parse_decimal<std::uint64_t>(text);
  if (!value || *value < min || *value > max) {
    fail(name,
         quote(text) + " is not a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return *value;
}

std::chrono::nanoseconds parse_duration_at_least(const Name& name, const std::string& text,
                                                 std::chrono::nanoseconds min) {
  std::chrono::nanoseconds value{};
  try {
    value = parse_duration(text);
  } catch (const std::invalid_argument&) {
    fail(name, quote(text) + " is not a duration like 50ms, 1.5s or 1m30s");
  }
  if (value < min) {
    if (min == std::chrono::nanoseconds::zero()) fail(name, quote(text) + " must not be negative");
    if (min == std::chrono::nanoseconds(1)) fail(name, quote(text) + " must be greater than zero");
    fail(name, quote(text) + " must be at least " + format_duration(min));
  }
  return value;
}

std::size_t parse_choice(const Name& name, const std::string& text,
                         std::span<const std::string_view> choices) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  std::string listed;
  for (std::size_t index = 0; index < choices.size(); ++index) {
    if (std::ranges::equal(text, choices[index], {}, lower, lower)) return index;
    listed += (index > 0 ? ", " : "") + std::string(choices[index]);
  }
  fail(name, quote(text) + " is not one of " + listed);
}

std::optional<std::string> read_file_if_present(const std::string& path) {
  const sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    fail_reading(path, errno);
  }
  try {
    return sys::read_all(fd.get(), "read " + path);
  } catch (const std::system_error& error) {
    // A directory opens fine and only fails here, with EISDIR.
    fail_reading(path, error.code().value());
  }
}

std::optional<tls::Credentials> Reader::tls(const TlsNames& names, bool speaks_tls,
                                            tls::Credentials defaults) const {
  static constexpr std::array<std::string_view, 2> kOnOff{"off", "on"};
  std::size_t on = 1;
  choice(names.on, on, kOnOff);
  if (!speaks_tls || on == 0) return std::nullopt;
  const std::pair<const Name&, std::string&> files[] = {{names.certificate, defaults.certificate},
                                                        {names.key, defaults.key},
                                                        {names.authority, defaults.authority}};
  for (const auto& [name, path] : files) {
    if (auto text = lookup(name)) path = std::move(*text);
    const auto mode = expect_readable_file(name, path);
    if (&name == &names.key) expect_private(name, path, *mode);
  }
  if (!names.revocations.env().empty()) {
    std::string& path = defaults.revocations;
    path = lookup(names.revocations).value_or(sys::directory_part(defaults.authority) + "crl.pem");
    if (!expect_readable_file(names.revocations, path, true)) path.clear();
  }
  return defaults;
}

}  // namespace tp0::config::settings
