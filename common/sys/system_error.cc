#include "common/sys/system_error.h"

#include <cerrno>

namespace tp0::sys {

std::system_error error_from_errno(int error_number, const std::string& context) {
  return std::system_error(error_number, std::generic_category(), context);
}

std::system_error last_error(const std::string& context) { return error_from_errno(errno, context); }

}  // namespace tp0::sys
