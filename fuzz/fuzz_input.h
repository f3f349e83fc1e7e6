#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/sys/unique_fd.h"

namespace tp0::fuzz {

// A readable descriptor holding exactly `data`: an anonymous in-memory file, so the
// readers under test run their real read(2) loops without touching the disk. One read
// returns the whole input.
sys::UniqueFd descriptor_holding(const std::uint8_t* data, std::size_t size);

// The largest input descriptor_in_pieces() takes: all of it must wait in a socket buffer.
inline constexpr std::size_t kMaxPiecewiseBytes = std::size_t{64} * 1024;

// A descriptor whose reads return `data` a piece at a time, cut after each CR and quote
// (at most 64 pieces): the bytes after which a CSV reader looks one byte ahead, so
// lookaheads that straddle two reads, which a single read never gives, get exercised.
// REQUIRES: size <= kMaxPiecewiseBytes.
sys::UniqueFd descriptor_in_pieces(const std::uint8_t* data, std::size_t size);

// Stops the fuzzer with a report when a property the target checks does not hold.
[[noreturn]] void property_failed(const std::string& what);

}  // namespace tp0::fuzz
