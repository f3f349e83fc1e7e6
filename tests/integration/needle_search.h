#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace tp0::testing {

// Which of many strings occur in some bytes, found in one pass over them: each needle is
// filed under its first kWindow bytes, read as one 64-bit word, and every window of the
// bytes is looked up (a bit table first, so that the common miss costs little); only a
// window that matches a needle's start is compared further.
class NeedleSearch {
 public:
  static constexpr std::size_t kWindow = 8;

  // Throws std::invalid_argument for a needle shorter than kWindow bytes.
  explicit NeedleSearch(std::vector<std::string> needles);

  // For each needle, whether it occurs in any of `texts`.
  std::vector<bool> found_in(const std::vector<std::string>& texts) const;

  const std::vector<std::string>& needles() const { return needles_; }

 private:
  static constexpr unsigned kFilterBits = 22;

  static std::size_t filter_slot(std::uint64_t window);

  std::vector<std::string> needles_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_start_;
  std::vector<bool> filter_;
};

}  // namespace tp0::testing
