#include "common/lottery/bet_parsing.h"

#include "common/lottery/bet.h"
#include "common/text/decimal.h"

namespace tp0::lottery {

std::optional<std::uint16_t> parse_number(std::string_view text) {
  const auto number = text::parse_decimal<std::uint16_t>(text);
  if (!number || *number > kMaxNumber) return std::nullopt;
  return number;
}

}  // namespace tp0::lottery
