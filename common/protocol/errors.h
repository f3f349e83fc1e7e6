#pragma once

#include <stdexcept>

namespace tp0::protocol {

// The bytes received do not form a valid frame or message: bad length, unknown type,
// truncated or trailing data. what() says which and where.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tp0::protocol
