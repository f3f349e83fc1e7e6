#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/lottery/bet.h"
#include "common/protocol/messages.h"

namespace tp0::testing {

// `count` valid bets of `agency`, documents 0, 1, ..., every one on the winning number.
inline std::vector<lottery::Bet> winning_bets_of(std::uint32_t agency, int count) {
  std::vector<lottery::Bet> bets;
  bets.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    bets.push_back({agency, "Ana", "Pérez", std::to_string(i), "1990-01-31", 7574});
  return bets;
}

// Bet `i` of `agency`, valid: document 30000000 + `i`, on the winning number when `wins`,
// else on 1. Every bet of it takes as many bytes on the wire as any other.
inline lottery::Bet bet_of(std::uint32_t agency, std::uint32_t i, bool wins = false) {
  return {agency,       "Ana",
          "Paz",        std::to_string(30'000'000 + i),
          "1990-05-17", wins ? lottery::kWinningNumber : std::uint16_t{1}};
}

// The batch at `position` of `agency`'s stream holding its bets `first` to
// `first + count - 1` (bet_of), the first `winners` of them on the winning number.
inline protocol::Batch batch_of(std::uint32_t agency, std::uint32_t position, std::uint32_t first,
                                std::size_t count, std::size_t winners = 0) {
  protocol::Batch batch{agency, position, {}};
  batch.bets.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    batch.bets.push_back(bet_of(agency, first + static_cast<std::uint32_t>(i), i < winners));
  }
  return batch;
}

}  // namespace tp0::testing
