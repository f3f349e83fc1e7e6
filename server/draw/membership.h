#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace tp0::draw {

// The agencies of a round: only these may bet, count towards the draw or learn winners.
// Each has a position, 0 … size() - 1, by which the draw barrier keeps its state.
class Membership {
 public:
  // `agencies`: the round's ids, in any order, without repeats.
  explicit Membership(std::vector<std::uint32_t> agencies);

  // The position of `agency` in the round, or nullopt when it is not one of its agencies.
  std::optional<std::uint32_t> position_of(std::uint32_t agency) const;

  std::uint32_t size() const { return static_cast<std::uint32_t>(agencies_.size()); }

 private:
  std::vector<std::uint32_t> agencies_;  // sorted, so a lookup is a binary search
};

}  // namespace tp0::draw
