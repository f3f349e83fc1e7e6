#include "server/echo_service.h"

#include <span>
#include <string>

#include "common/logging/logging.h"
#include "common/net/line_io.h"

namespace tp0::server {

constexpr std::size_t kMaxLineBytes = 8192;

bool EchoService::serve(net::Connection& connection, const Identified& /*identified*/,
                        std::optional<std::chrono::milliseconds> budget) {
  connection.set_deadline(budget, "conversation");
  const std::string line = net::read_line(connection, kMaxLineBytes, progress_timeout_);
  logging::info(logging::Event("receive_message", logging::Result::kSuccess)
                    .with("ip", connection.peer())
                    .with("msg", std::string_view(line).substr(0, line.find_first_of("\r\n"))));
  {
    const net::DeadlineGuard send_deadline(connection, progress_timeout_, "send");
    connection.write_all(std::as_bytes(std::span(line)));
  }
  connection.close();
  return false;
}

}  // namespace tp0::server
