#include "tests/integration/needle_search.h"

#include <cstring>
#include <stdexcept>

namespace tp0::testing {
namespace {

std::uint64_t window_at(const char* bytes) {
  std::uint64_t window = 0;
  std::memcpy(&window, bytes, sizeof window);
  return window;
}

}  // namespace

std::size_t NeedleSearch::filter_slot(std::uint64_t window) {
  return static_cast<std::size_t>((window * 0x9E3779B97F4A7C15ULL) >> (64 - kFilterBits));
}

NeedleSearch::NeedleSearch(std::vector<std::string> needles)
    : needles_(std::move(needles)), filter_(std::size_t{1} << kFilterBits) {
  for (std::size_t i = 0; i < needles_.size(); ++i) {
    if (needles_[i].size() < kWindow) {
      throw std::invalid_argument("needle \"" + needles_[i] + "\" is shorter than " +
                                  std::to_string(kWindow) + " bytes: it would be found by chance");
    }
    const std::uint64_t start = window_at(needles_[i].data());
    by_start_[start].push_back(static_cast<std::uint32_t>(i));
    filter_[filter_slot(start)] = true;
  }
}

std::vector<bool> NeedleSearch::found_in(const std::vector<std::string>& texts) const {
  std::vector<bool> found(needles_.size(), false);
  for (const std::string& text : texts) {
    for (std::size_t at = 0; at + kWindow <= text.size(); ++at) {
      const std::uint64_t window = window_at(text.data() + at);
      if (!filter_[filter_slot(window)]) continue;
      const auto filed = by_start_.find(window);
      if (filed == by_start_.end()) continue;
      for (const std::uint32_t i : filed->second) {
        const std::string& needle = needles_[i];
        if (!found[i] && text.compare(at, needle.size(), needle) == 0) found[i] = true;
      }
    }
  }
  return found;
}

}  // namespace tp0::testing
