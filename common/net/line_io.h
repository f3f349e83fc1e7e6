#pragma once

#include <cstddef>
#include <string>

#include "common/net/connection.h"

namespace tp0::net {

// Reads until the data received ends with '\n', `max_bytes` were read or the peer closed,
// and returns all of it (empty if the peer closed before sending anything). Made for
// request/answer exchanges where the peer sends one line and waits: bytes a peer sends
// after its newline in the same burst are returned as part of the line.
std::string read_line(Connection& connection, std::size_t max_bytes);

}  // namespace tp0::net
