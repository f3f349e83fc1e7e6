#include "server/waiting_room.h"

#include <map>

#include "common/logging/logging.h"
#include "common/protocol/channel.h"
#include "common/protocol/codec.h"
#include "common/sys/signals.h"
#include "common/sys/wait.h"
#include "server/draw/draw_record.h"
#include "server/lottery_session.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

// How often the room looks at the round while it holds connections, in case the child
// that held the draw died before it could say so.
constexpr std::chrono::milliseconds kDrawCheckInterval{1000};

void answer(std::uint32_t agency, net::Connection connection, const draw::RecordedWinners& winners) {
  const std::string peer = connection.peer();
  try {
    protocol::Channel channel(std::move(connection));
    const auto documents = winners.of(agency);
    for (const auto& part : protocol::split_winners(documents)) channel.post(part);
    channel.flush();
    logging::debug(Event("winners_sent", Result::kSuccess)
                       .with("agency", agency)
                       .with("cant_ganadores", documents.size()));
    // The answer ends the conversation: the client closes once it has its winners.
    channel.connection().close();
  } catch (const std::exception& error) {
    logging::error(Event("serve_connection", Result::kFail).with("ip", peer).with("error", error.what()));
  }
  logging::info(Event("close_connection", Result::kSuccess).with("ip", peer).with("agency", agency));
}

}  // namespace

int run_waiting_room(Handback& handback, round::Round& round, const std::string& storage_path,
                     storage::Durability durability, std::chrono::milliseconds idle_timeout) {
  std::map<std::uint32_t, net::Connection> waiting;
  while (!sys::signals::shutdown_requested()) {
    for (auto& [agency, connection] : handback.receive()) {
      connection.set_idle_timeout(idle_timeout);
      waiting.insert_or_assign(agency, std::move(connection));
    }
    if (!waiting.empty() && round.drawn()) {
      // Read once for everyone waiting: the record never changes.
      const auto winners = draw::recorded_winners(storage_path, durability, log_draw);
      for (auto& [agency, connection] : waiting) answer(agency, std::move(connection), winners);
      waiting.clear();
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
  for (auto& [agency, connection] : waiting) {
    logging::info(Event("close_connection", Result::kSuccess)
                      .with("ip", connection.peer())
                      .with("agency", agency)
                      .with("waiting_for", "draw"));
    connection.close_quietly();
  }
  return 0;
}

}  // namespace tp0::server
