#pragma once

#include <string>

#include "server/storage/durability.h"

namespace tp0::draw {

// Writes to `path` (created, or emptied) the draw's record of the committed bets of the
// bets file at `bets_path`, laid out as record_layout.h says, and with
// Durability::kMachine waits until its bytes are on disk. Its memory does not grow with
// the round: the bets file is read twice, once to count the bytes of each agency's part
// (so where each part goes), once to write each winning row at its agency's place
// through a buffer per agency, about a MiB in all. REQUIRES: the draw is held (no bet
// can be stored any more). Throws std::system_error naming the file that failed, what
// reading the bets file throws, and std::runtime_error if the two reads differ.
void write_record(const std::string& bets_path, const std::string& path, storage::Durability durability);

}  // namespace tp0::draw
