#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tp0::storage {

// The winners of the bets file at `bets_path`, kept beside it in `<bets_path>.winners`:
// the committed length they were worked out from, then one `agency,document` row per
// winning bet (has_won) in file order. The bets file is scanned once per committed
// length, by whichever process asks first, under the lock file `<bets_path>.winners.lock`;
// every other query (one per agency after the draw) reads the small file instead of
// scanning all the bets again. The file is written aside and renamed into place, so a
// process killed while writing it leaves no half of it.

// The documents of `agency`'s winning bets, in file order, as of the bets file's
// committed length now. Throws std::system_error naming the file that failed, and what
// load_bets throws.
std::vector<std::string> winning_documents(const std::string& bets_path, std::uint32_t agency);

// Removes the winners file and its lock and scratch files, so that a new round cannot
// read the previous round's winners. Throws std::system_error naming the file.
void remove_winners(const std::string& bets_path);

}  // namespace tp0::storage
