#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace tp0::storage {

// Parses a whole field of the storage's files as a decimal number of type `Unsigned`:
// digits only, nothing before or after, within the type's range. nullopt otherwise.
template <typename Unsigned>
std::optional<Unsigned> parse_decimal(std::string_view text) {
  Unsigned value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace tp0::storage
