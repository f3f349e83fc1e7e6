#include "config/duration.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace tp0::config {
namespace {

// Magnitudes are accumulated unsigned; 2^63 is allowed only for a negative result.
constexpr std::uint64_t kMagnitudeLimit = std::uint64_t{1} << 63;

constexpr std::uint64_t kMicrosecond = 1000;
constexpr std::uint64_t kMillisecond = 1000 * kMicrosecond;
constexpr std::uint64_t kSecond = 1000 * kMillisecond;
constexpr std::uint64_t kMinute = 60 * kSecond;
constexpr std::uint64_t kHour = 60 * kMinute;

// The nanoseconds in one `unit`, or 0 when it names none.
std::uint64_t nanoseconds_in(std::string_view unit) {
  if (unit == "ns") return 1;
  // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU, in UTF-8.
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return kMicrosecond;
  if (unit == "ms") return kMillisecond;
  if (unit == "s") return kSecond;
  if (unit == "m") return kMinute;
  if (unit == "h") return kHour;
  return 0;
}

bool starts_with_digit(std::string_view text) {
  return !text.empty() && text.front() >= '0' && text.front() <= '9';
}

[[noreturn]] void reject(std::string_view text, const std::string& reason) {
  throw std::invalid_argument("invalid duration \"" + std::string(text) + "\": " + reason);
}

// value / unit in decimal, followed by the digits of value % unit after a point when they
// are not all zero. `unit` is a power of ten.
std::string decimal(std::uint64_t value, std::uint64_t unit) {
  std::string fraction = std::to_string(unit + value % unit).substr(1);  // zero-padded to the unit's width
  fraction.erase(fraction.find_last_not_of('0') + 1);
  return std::to_string(value / unit) + (fraction.empty() ? "" : "." + fraction);
}

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text) {
  std::string_view rest = text;
  const bool negative = rest.starts_with('-');
  if (negative || rest.starts_with('+')) rest.remove_prefix(1);
  if (rest == "0") return std::chrono::nanoseconds::zero();
  if (rest.empty()) reject(text, "expected a number followed by a unit");

  std::uint64_t total = 0;  // at most kMagnitudeLimit
  while (!rest.empty()) {
    // One "<number><unit>": the number is whole + fraction / scale.
    std::uint64_t whole = 0;
    std::uint64_t fraction = 0;
    std::uint64_t scale = 1;
    std::size_t digits = 0;
    for (; starts_with_digit(rest); rest.remove_prefix(1), ++digits) {
      const auto digit = static_cast<std::uint64_t>(rest.front() - '0');
      if (whole > (kMagnitudeLimit - digit) / 10) reject(text, "out of range");
      whole = whole * 10 + digit;
    }
    if (rest.starts_with('.')) {
      // Fraction digits beyond what fits are read but ignored: they are below a nanosecond.
      for (rest.remove_prefix(1); starts_with_digit(rest); rest.remove_prefix(1), ++digits) {
        if (scale > kMagnitudeLimit / 10) continue;
        fraction = fraction * 10 + static_cast<std::uint64_t>(rest.front() - '0');
        scale *= 10;
      }
    }
    if (digits == 0) reject(text, "expected a number");

    const std::size_t length = std::min(rest.find_first_of(".0123456789"), rest.size());
    if (length == 0) reject(text, "missing unit");
    const std::uint64_t unit = nanoseconds_in(rest.substr(0, length));
    if (unit == 0) reject(text, "unknown unit \"" + std::string(rest.substr(0, length)) + "\"");
    rest.remove_prefix(length);

    if (whole > kMagnitudeLimit / unit) reject(text, "out of range");
    // fraction / scale < 1, so this adds less than one unit (at most an hour): no overflow.
    const std::uint64_t magnitude =
        whole * unit + static_cast<std::uint64_t>(static_cast<double>(fraction) *
                                                  (static_cast<double>(unit) / static_cast<double>(scale)));
    if (magnitude > kMagnitudeLimit - total) reject(text, "out of range");
    total += magnitude;
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
  // Below a second: the largest unit that keeps the integer part nonzero.
  if (magnitude < kMicrosecond) return out + decimal(magnitude, 1) + "ns";
  if (magnitude < kMillisecond) return out + decimal(magnitude, kMicrosecond) + "\xC2\xB5s";
  if (magnitude < kSecond) return out + decimal(magnitude, kMillisecond) + "ms";
  if (magnitude >= kHour) out += std::to_string(magnitude / kHour) + "h";
  if (magnitude >= kMinute) out += std::to_string(magnitude % kHour / kMinute) + "m";
  return out + decimal(magnitude % kMinute, kSecond) + "s";
}

}  // namespace tp0::config
