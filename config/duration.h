#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace tp0::config {

// Parses Go's time.ParseDuration syntax: an optional sign, then one or more decimal
// numbers, each with an optional fraction and a unit ("300ms", "-1.5h", "2h45m").
// Units: ns, us, µs (U+00B5 or U+03BC), ms, s, m, h. A lone "0" needs no unit.
// Throws std::invalid_argument for an empty text, a missing or unknown unit, a number
// without digits, or a value outside the range of std::chrono::nanoseconds.
std::chrono::nanoseconds parse_duration(std::string_view text);

// Prints `duration` the way Go's Duration.String() does: "0s", "100ns", "1.5µs",
// "50ms", "1.5s", "1m30s", "1h0m0s", "-2h45m30.5s". Fractions drop trailing zeros.
// parse_duration(format_duration(d)) == d for every d.
std::string format_duration(std::chrono::nanoseconds duration);

}  // namespace tp0::config
