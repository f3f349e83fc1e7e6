#pragma once

#include <chrono>
#include <string>

#include "server/round/round.h"
#include "server/handback.h"
#include "server/storage/durability.h"

namespace tp0::server {

// Where the agencies that asked for their winners before the draw wait (process mode).
// It runs in a child process of its own, forked before any connection: the connections
// handed to it (Handback) are held there, not in the parent, because every descriptor
// the parent holds is copied into each child it forks, and would then be closed by each,
// a cost that grows with the square of the agencies. It holds at most one connection per
// agency (a newer one replaces an older), and once the draw is held it answers each from
// the draw's record, one write and a close, in this one process: no fork per answer.
//
// It learns of the draw from the child that held it (Handback::announce_draw) and, in
// case that child died first, by looking at the round every second while it holds
// connections (which also repairs the round's table if its mutex owner died).
//
// Returns the process's exit code once SIGTERM or SIGINT asked it to stop, after closing
// and logging each connection still waiting.
int run_waiting_room(Handback& handback, round::Round& round, const std::string& storage_path,
                     storage::Durability durability, std::chrono::milliseconds idle_timeout);

}  // namespace tp0::server
