#pragma once

#include <cstdint>

namespace tp0::testing {

// The seed of a test's random moments or inputs: TP0_SEED when set, else a fresh one.
// Prints it to stderr with the command-line setting that replays it, so a failure
// seen once can be run again.
std::uint64_t test_seed();

}  // namespace tp0::testing
