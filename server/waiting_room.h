#pragma once

#include "server/before_the_draw.h"
#include "server/handback.h"
#include "server/round/round.h"

namespace tp0::server {

// Where the agencies that asked for their winners before the draw wait (process mode).
// It runs in a child process of its own, forked before any connection: the connections
// handed to it (Handback) are held there, not in the parent, because every descriptor
// the parent holds is copied into each child it forks, and would then be closed by each,
// a cost that grows with the square of the agencies. It holds at most one connection per
// agency (a newer one replaces an older). Each is a bare socket: its child answered the
// client WaitForDraw and ended the TLS session first, since a session's state cannot
// travel with its descriptor. Once the draw is held the room closes them all, which is
// the whole message: each client then asks again on a new connection and is answered
// there. The room so writes nothing, reads nothing and holds no TLS state: a client that
// reads slowly or not at all delays no other, and a thousand waiting agencies cost a
// thousand descriptors.
//
// The parent starts it again if it dies (WaitingRoom::start): the agencies it held see
// their connections closed and ask again, and what was handed over meanwhile waits in the
// socket for the next room.
//
// It learns of the draw from the child that held it (Handback::announce_draw) and, in
// case that child died first, by looking at the round every second while it holds
// connections (which also repairs the round's table if its mutex owner died).
//
// `process`: a query before the draw is answered WaitForDraw, the TLS session is ended,
// and the bare connection is handed to the waiting room (Handback), which closes it once
// the draw is held, when the client asks again.
class WaitingRoom final : public BeforeTheDraw {
 public:
  // Raises the limit of open descriptors to what the room may hold. Throws
  // std::system_error when the hand-back socket cannot be made.
  WaitingRoom();

  // Forks the waiting room, as a child started again whenever it dies.
  void start(ChildProcesses& children, const round::Round& round) override;
  // Only the parent and the room hold the room's end.
  void serving_a_connection() override { handback_.close_room_end(); }
  bool answer_early_query(std::uint32_t agency, protocol::Channel& channel) override;
  void draw_held() override { handback_.announce_draw(); }

 private:
  Handback handback_;
};

}  // namespace tp0::server
