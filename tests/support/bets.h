#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/lottery/bet.h"

namespace tp0::testing {

// `count` valid bets of `agency`, documents 0, 1, ..., every one on the winning number.
inline std::vector<lottery::Bet> winning_bets_of(std::uint32_t agency, int count) {
  std::vector<lottery::Bet> bets;
  bets.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) bets.push_back({agency, "Ana", "Pérez", std::to_string(i), "1990-01-31", 7574});
  return bets;
}

}  // namespace tp0::testing
