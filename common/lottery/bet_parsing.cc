#include "common/lottery/bet_parsing.h"

#include "common/lottery/bet.h"

namespace tp0::lottery {

std::optional<std::uint16_t> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
    // Stopping as soon as the bound is passed keeps any length of input from overflowing.
    if (value > kMaxNumber) return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace tp0::lottery
