#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/sys/unique_fd.h"

namespace tp0::fuzz {

// A readable descriptor holding exactly `data`: an anonymous in-memory file, so the
// readers under test run their real read(2) loops without touching the disk.
sys::UniqueFd descriptor_holding(const std::uint8_t* data, std::size_t size);

// Stops the fuzzer with a report when a property the target checks does not hold.
[[noreturn]] void property_failed(const std::string& what);

}  // namespace tp0::fuzz
