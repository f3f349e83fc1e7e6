#include "tests/support/seed.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace tp0::testing {

std::uint64_t test_seed() {
  std::uint64_t seed = 0;
  if (const char* given = std::getenv("TP0_SEED"); given != nullptr && *given != '\0') {
    seed = std::stoull(given);
  } else {
    std::random_device source;
    seed = (static_cast<std::uint64_t>(source()) << 32) | source();
  }
  std::fprintf(stderr, "random seed %llu (replay with TP0_SEED=%llu)\n",
               static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace tp0::testing
