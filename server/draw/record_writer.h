#pragma once

#include <cstdint>
#include <string>

namespace tp0::draw {

// The draw's record is a directory (docs/journal.md, "The draw's record"): one file per
// agency with winners, named by the agency's id, holding its winning bets as
// `agency,document` rows (RFC 4180) in bets file order. An agency without winners has no
// file.

// The file of `agency`'s winners in the record `directory`.
std::string agency_file(const std::string& directory, std::uint32_t agency);

// Makes the directory `directory` (REQUIRES: absent) the draw's record of the committed
// bets of the bets file at `bets_path`, and waits until all of it is on disk. One pass
// over the bets file; winning rows wait in memory until about a MiB of them do, then
// each agency's are appended to its file, so that the memory does not grow with the
// round. REQUIRES: the draw is held (no bet can be stored any more). Throws
// std::system_error naming the file that failed, and what reading the bets file throws.
void write_record(const std::string& bets_path, const std::string& directory);

}  // namespace tp0::draw
