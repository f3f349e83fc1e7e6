#pragma once

#include <string>
#include <system_error>

namespace tp0::sys {

// Builds the exception every wrapper of a failed system call throws: the errno value
// plus what was being attempted and on what ("open bets file ./bets.csv").
std::system_error error_from_errno(int error_number, const std::string& context);

// Same as error_from_errno(errno, context).
std::system_error last_error(const std::string& context);

// Runs `call` until it does not fail with EINTR and returns its last result.
template <typename Call>
auto retry_on_eintr(Call call) -> decltype(call()) {
  decltype(call()) result;
  do {
    result = call();
  } while (result == -1 && errno == EINTR);
  return result;
}

}  // namespace tp0::sys
