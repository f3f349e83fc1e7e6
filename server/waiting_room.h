#pragma once

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
// The parent starts it again if it dies (LotteryService::start): the agencies it held see
// their connections closed and ask again, and what was handed over meanwhile waits in the
// socket for the next room.
//
// It learns of the draw from the child that held it (Handback::announce_draw) and, in
// case that child died first, by looking at the round every second while it holds
// connections (which also repairs the round's table if its mutex owner died).
//
// Returns the process's exit code once SIGTERM or SIGINT asked it to stop, after closing
// and logging each connection still waiting.
int run_waiting_room(Handback& handback, const round::Round& round);

}  // namespace tp0::server
