#pragma once

#include <chrono>
#include <string>

#include "bench/agency_files.h"

namespace tp0::bench {

// The floor a lottery round is compared with: each agency file's bytes pushed through a
// loopback TCP connection of its own, all at once, into one file, with no protocol, no
// parsing and no answer. Returns the time from the first connection to the last byte
// written into `output_path`. Throws NetError or std::system_error on failure.
std::chrono::microseconds push_through_loopback(const AgencyFiles& files, const std::string& output_path);

}  // namespace tp0::bench
