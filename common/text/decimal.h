#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string_view>
#include <system_error>

namespace tp0::text {

// The whole of `text` as a decimal number of type `Unsigned`: ASCII digits only, leading
// zeros allowed, nothing before or after them (no sign, no space), within the type's
// range. nullopt for anything else, whatever the length of `text`.
template <std::unsigned_integral Unsigned>
std::optional<Unsigned> parse_decimal(std::string_view text) {
  Unsigned value = 0;
  const char* const first = text.data();
  const char* const end = first + text.size();
  const auto [stop, error] = std::from_chars(first, end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace tp0::text
