#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "common/net/connection.h"

namespace tp0::net {

// Reads until the data received ends with '\n', `max_bytes` were read or the peer closed,
// and returns all of it (empty if the peer closed before sending anything). Made for
// request/answer exchanges where the peer sends one line and waits: bytes a peer sends
// after its newline in the same burst are returned as part of the line.
// With `rest_timeout`, once the first bytes have come the rest of the line must come
// within that time too (a DeadlineGuard, "line"): a byte now and then cannot hold the
// connection. Throws what Connection::read_some() throws.
std::string read_line(Connection& connection, std::size_t max_bytes,
                      std::optional<std::chrono::milliseconds> rest_timeout = std::nullopt);

}  // namespace tp0::net
