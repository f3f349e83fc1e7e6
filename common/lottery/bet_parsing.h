#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tp0::lottery {

// Parses a bet's number: ASCII decimal digits only (no sign, no spaces; leading zeros
// allowed) with a value from 0 to kMaxNumber. Returns nullopt for anything else.
std::optional<std::uint16_t> parse_number(std::string_view text);

}  // namespace tp0::lottery
