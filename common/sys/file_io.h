#pragma once

#include <string>
#include <string_view>

namespace tp0::sys {

// Writes every byte of `data` to `fd`, resuming after interruptions and short writes.
// Throws std::system_error with `context` ("append bets to ./bets.csv") on failure; some
// of `data` may then have been written.
void write_all(int fd, std::string_view data, const std::string& context);

}  // namespace tp0::sys
