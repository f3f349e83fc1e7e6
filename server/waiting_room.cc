#include "server/waiting_room.h"

#include <chrono>
#include <map>

#include "common/logging/logging.h"
#include "common/sys/signals.h"
#include "common/sys/wait.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

// How often the room looks at the round while it holds connections, in case the child
// that held the draw died before it could say so.
constexpr std::chrono::milliseconds kDrawCheckInterval{1000};

// Closes and logs every connection, each line ending with `key: value`.
void close_all(std::map<std::uint32_t, net::Connection>& waiting, const char* key, const char* value) {
  for (auto& [agency, connection] : waiting) {
    logging::info(Event("close_connection", Result::kSuccess)
                      .with("ip", connection.peer())
                      .with("agency", agency)
                      .with(key, value));
    connection.close_quietly();
  }
  waiting.clear();
}

}  // namespace

int run_waiting_room(Handback& handback, const round::Round& round) {
  std::map<std::uint32_t, net::Connection> waiting;
  while (!sys::signals::shutdown_requested()) {
    for (auto& [agency, connection] : handback.receive()) waiting.insert_or_assign(agency, std::move(connection));
    if (!waiting.empty() && round.drawn()) {
      logging::debug(Event("draw_held", Result::kSuccess).with("waiting_agencies", waiting.size()));
      close_all(waiting, "draw", "held");
    }
    pollfd room{handback.room_fd(), POLLIN, 0};
    sys::wait_until({&room, 1}, waiting.empty() ? sys::Deadline()
                                                : std::chrono::steady_clock::now() + kDrawCheckInterval);
    // No process holds a connection end any more: the server died without a SIGTERM
    // reaching here (its death signal does, normally). Nothing can come or be answered.
    if ((room.revents & POLLHUP) != 0) break;
  }
  // Connections handed over just before the stop are closed and logged like the others.
  for (auto& [agency, connection] : handback.receive()) waiting.insert_or_assign(agency, std::move(connection));
  close_all(waiting, "waiting_for", "draw");
  return 0;
}

}  // namespace tp0::server
