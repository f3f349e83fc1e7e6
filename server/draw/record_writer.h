#pragma once

#include <string>

#include "config/durability.h"

namespace tp0::draw {

// Writes to `path` (created, or emptied) the draw's record of the committed bets of the
// bets file at `bets_path`, laid out as record_layout.h says, and with
// Durability::kMachine waits until its bytes are on disk. Its memory does not grow with
// the round: one pass over the bets file puts the winning rows aside, in `<path>.rows`
// (nameless once open), and counts the bytes of each agency's part, so where each part
// goes; a second, over the rows aside, writes each row at its agency's place through a
// buffer per agency, about a MiB in all. REQUIRES: the draw is held (no bet can be
// stored any more). Throws std::system_error naming the file that failed, and what
// reading the bets file throws.
void write_record(const std::string& bets_path, const std::string& path, storage::Durability durability);

}  // namespace tp0::draw
