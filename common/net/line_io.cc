#include "common/net/line_io.h"

#include <span>

namespace tp0::net {

std::string read_line(Connection& connection, std::size_t max_bytes,
                      std::optional<std::chrono::milliseconds> rest_timeout) {
  std::string line;
  line.reserve(128);
  std::optional<DeadlineGuard> rest_deadline;
  while (line.size() < max_bytes && (line.empty() || line.back() != '\n')) {
    if (rest_timeout && !line.empty() && !rest_deadline)
      rest_deadline.emplace(connection, *rest_timeout, "line");
    const std::size_t old_size = line.size();
    line.resize(max_bytes);
    const std::size_t received =
        connection.read_some(std::as_writable_bytes(std::span(line.data() + old_size, max_bytes - old_size)));
    line.resize(old_size + received);
    if (received == 0) break;
  }
  return line;
}

}  // namespace tp0::net
