#include "server/waiting_room.h"

#include <sys/resource.h>

#include <array>
#include <chrono>
#include <map>

#include "common/logging/logging.h"
#include "common/protocol/errors.h"
#include "common/sys/signals.h"
#include "common/sys/wait.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

// How long a child waits for the waiting room to take a connection when the socket
// between them is full (the room dead and not yet started again, or behind): long
// enough for a restart, short enough that the client soon asks again elsewhere.
constexpr std::chrono::milliseconds kHandOverPatience{3000};

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

// The waiting room holds a connection for every agency waiting for the draw, one per
// agency of the round at most: the usual soft limit of 1,024 descriptors is raised to the
// hard limit, which any process may do.
void allow_a_descriptor_per_agency() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// The waiting room's process. Returns its exit code once SIGTERM or SIGINT asked it to
// stop, after closing and logging each connection still waiting.
int run_waiting_room(Handback& handback, const round::Round& round) {
  std::map<std::uint32_t, net::Connection> waiting;
  while (!sys::signals::shutdown_requested()) {
    for (auto& [agency, connection] : handback.receive())
      waiting.insert_or_assign(agency, std::move(connection));
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
  for (auto& [agency, connection] : handback.receive())
    waiting.insert_or_assign(agency, std::move(connection));
  close_all(waiting, "waiting_for", "draw");
  return 0;
}

}  // namespace

WaitingRoom::WaitingRoom() { allow_a_descriptor_per_agency(); }

void WaitingRoom::start(ChildProcesses& children, const round::Round& round) {
  // Started again whenever it dies: the agencies it held see their connections closed and
  // ask again, and what was handed over meanwhile waits in the room's end, which the
  // parent keeps open for the next room.
  children.spawn_supervised(
      [this, &round](std::chrono::milliseconds pause) {
        handback_.close_connection_end();
        // Forked again from the accept loop, it would hold the listener and a connection
        // being accepted, keeping it open after its own child closed it: closed before the
        // pause, so that a server restarted meanwhile finds its port free.
        const std::array keep{handback_.room_fd()};
        sys::signals::close_inherited_descriptors(keep);
        if (pause.count() > 0 && !sys::sleep_unless_shutdown(pause)) return 0;
        return run_waiting_room(handback_, round);
      },
      "open_waiting_room");
}

bool WaitingRoom::answer_early_query(std::uint32_t agency, protocol::Channel& channel) {
  // The connection leaves this process: what was read behind the query could never be
  // answered. The answers owed to the messages before it go out, then the refusal.
  if (channel.has_message()) {
    channel.send(protocol::Ack{protocol::AckCode::kUnexpectedMessage, 0});
    throw protocol::ProtocolError("a message after a winners query, before the answer");
  }
  channel.send(protocol::WaitForDraw{});
  // What travels to the waiting room is the socket alone: the session ends here, both
  // ways, within the frame timeout like any other exchange, however slowly the peer
  // answers our close_notify.
  {
    const net::DeadlineGuard end_deadline(channel.connection(), channel.frame_timeout(), "close_notify");
    channel.connection().return_to_plain();
  }
  handback_.hand_over(agency, channel.connection(), kHandOverPatience);
  logging::debug(Event("wait_for_draw", Result::kInProgress).with("agency", agency));
  return true;
}

}  // namespace tp0::server
