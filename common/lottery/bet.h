#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tp0::lottery {

// One person's bet, placed at one agency. Plain data: it knows nothing of files or sockets.
struct Bet {
  std::uint32_t agency = 0;
  std::string first_name;
  std::string last_name;
  std::string document;   // digits only, kept as text so leading zeros survive
  std::string birthdate;  // YYYY-MM-DD
  std::uint16_t number = 0;

  bool operator==(const Bet& other) const = default;
};

// The number drawn by the lottery. A bet wins when it chose it.
inline constexpr std::uint16_t kWinningNumber = 7574;

// Limits every valid bet respects; see validate().
inline constexpr std::size_t kMaxNameBytes = 255;
inline constexpr std::size_t kMaxDocumentDigits = 32;
inline constexpr std::uint16_t kMaxNumber = 9999;

// True when `bet` chose the winning number.
inline bool has_won(const Bet& bet) { return bet.number == kWinningNumber; }

// Checks every field of `bet`. Returns nullopt when it is valid, otherwise a sentence
// naming the first offending field and why ("document must contain only digits").
std::optional<std::string> validate(const Bet& bet);

}  // namespace tp0::lottery
