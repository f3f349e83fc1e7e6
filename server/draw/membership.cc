#include "server/draw/membership.h"

#include <algorithm>

namespace tp0::draw {

Membership::Membership(std::vector<std::uint32_t> agencies) : agencies_(std::move(agencies)) {
  std::sort(agencies_.begin(), agencies_.end());
}

std::optional<std::uint32_t> Membership::position_of(std::uint32_t agency) const {
  const auto found = std::lower_bound(agencies_.begin(), agencies_.end(), agency);
  if (found == agencies_.end() || *found != agency) return std::nullopt;
  return static_cast<std::uint32_t>(found - agencies_.begin());
}

}  // namespace tp0::draw
