#include "config/duration.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace tp0::config {
namespace {

// Magnitudes are accumulated unsigned; 2^63 is allowed only for a negative result.
constexpr std::uint64_t kMagnitudeLimit = std::uint64_t{1} << 63;

constexpr std::uint64_t kMicrosecond = 1000;
constexpr std::uint64_t kMillisecond = 1000 * kMicrosecond;
constexpr std::uint64_t kSecond = 1000 * kMillisecond;
constexpr std::uint64_t kMinute = 60 * kSecond;
constexpr std::uint64_t kHour = 60 * kMinute;

struct Unit {
  std::string_view name;
  std::uint64_t nanoseconds;
};

constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", kMicrosecond},
    {"\xC2\xB5s", kMicrosecond},  // U+00B5 MICRO SIGN, in UTF-8
    {"\xCE\xBCs", kMicrosecond},  // U+03BC GREEK SMALL LETTER MU, in UTF-8
    {"ms", kMillisecond},
    {"s", kSecond},
    {"m", kMinute},
    {"h", kHour},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void reject(std::string_view text, const std::string& reason) {
  throw std::invalid_argument("invalid duration \"" + std::string(text) + "\": " + reason);
}

// One "<number><unit>" component at the front of `rest`, consumed. Returns its magnitude
// in nanoseconds, at most kMagnitudeLimit.
std::uint64_t take_component(std::string_view text, std::string_view& rest) {
  std::uint64_t whole = 0;
  std::uint64_t fraction = 0;
  std::uint64_t scale = 1;  // fraction / scale is the fraction's value
  std::size_t digits = 0;
  for (; !rest.empty() && is_digit(rest.front()); rest.remove_prefix(1), ++digits) {
    const auto digit = static_cast<std::uint64_t>(rest.front() - '0');
    if (whole > (kMagnitudeLimit - digit) / 10) reject(text, "out of range");
    whole = whole * 10 + digit;
  }
  if (!rest.empty() && rest.front() == '.') {
    // Fraction digits beyond what fits are read but ignored: they are below a nanosecond.
    for (rest.remove_prefix(1); !rest.empty() && is_digit(rest.front()); rest.remove_prefix(1), ++digits) {
      if (scale > kMagnitudeLimit / 10) continue;
      fraction = fraction * 10 + static_cast<std::uint64_t>(rest.front() - '0');
      scale *= 10;
    }
  }
  if (digits == 0) reject(text, "expected a number");

  const std::size_t length = std::min(rest.find_first_of(".0123456789"), rest.size());
  if (length == 0) reject(text, "missing unit");
  const std::string_view name = rest.substr(0, length);
  rest.remove_prefix(length);
  const Unit* unit =
      std::find_if(std::begin(kUnits), std::end(kUnits), [&](const Unit& u) { return u.name == name; });
  if (unit == std::end(kUnits)) reject(text, "unknown unit \"" + std::string(name) + "\"");

  if (whole > kMagnitudeLimit / unit->nanoseconds) reject(text, "out of range");
  // fraction / scale < 1, so this adds less than one unit (at most an hour).
  const std::uint64_t magnitude =
      whole * unit->nanoseconds +
      static_cast<std::uint64_t>(static_cast<double>(fraction) *
                                 (static_cast<double>(unit->nanoseconds) / static_cast<double>(scale)));
  if (magnitude > kMagnitudeLimit) reject(text, "out of range");
  return magnitude;
}

// Appends value / unit in decimal, with the digits of value % unit after a point when
// they are not all zero. `unit` is a power of ten.
void append_decimal(std::string& out, std::uint64_t value, std::uint64_t unit) {
  out += std::to_string(value / unit);
  const std::uint64_t remainder = value % unit;
  if (remainder == 0) return;
  std::string digits;
  for (std::uint64_t place = unit / 10; place > 0; place /= 10) {
    digits += static_cast<char>('0' + remainder / place % 10);
  }
  digits.erase(digits.find_last_not_of('0') + 1);
  out += '.';
  out += digits;
}

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return std::chrono::nanoseconds::zero();
  if (rest.empty()) reject(text, "expected a number followed by a unit");

  std::uint64_t total = 0;
  while (!rest.empty()) {
    const std::uint64_t component = take_component(text, rest);
    if (component > kMagnitudeLimit - total) reject(text, "out of range");
    total += component;
  }

  if (negative) {
    if (total == kMagnitudeLimit) return std::chrono::nanoseconds::min();
    return std::chrono::nanoseconds(-static_cast<std::int64_t>(total));
  }
  if (total == kMagnitudeLimit) reject(text, "out of range");
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

std::string format_duration(std::chrono::nanoseconds duration) {
  const std::int64_t count = duration.count();
  if (count == 0) return "0s";
  // Unsigned negation also handles the most negative value.
  const std::uint64_t magnitude =
      count < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);

  std::string out = count < 0 ? "-" : "";
  if (magnitude < kSecond) {
    // The largest unit that keeps the integer part nonzero.
    const auto [unit, name] = magnitude < kMicrosecond   ? std::pair{std::uint64_t{1}, "ns"}
                              : magnitude < kMillisecond ? std::pair{kMicrosecond, "\xC2\xB5s"}
                                                         : std::pair{kMillisecond, "ms"};
    append_decimal(out, magnitude, unit);
    return out + name;
  }

  const std::uint64_t hours = magnitude / kHour;
  const std::uint64_t minutes = magnitude % kHour / kMinute;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  append_decimal(out, magnitude % kMinute, kSecond);
  out += "s";
  return out;
}

}  // namespace tp0::config
