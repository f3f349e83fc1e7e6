#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/lottery/bet.h"
#include "common/text/decimal.h"

namespace tp0::lottery {

// Parses a bet's number: ASCII decimal digits only (no sign, no spaces; leading zeros
// allowed) with a value from 0 to kMaxNumber. Returns nullopt for anything else.
inline std::optional<std::uint16_t> parse_number(std::string_view text) {
  const auto number = text::parse_decimal<std::uint16_t>(text);
  if (!number || *number > kMaxNumber) return std::nullopt;
  return number;
}

}  // namespace tp0::lottery
