#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "server/storage/bets_file.h"

namespace tp0::draw {

// The draw's result, recorded once beside the bets file as `<bets_path>.draw`: a header
// row `<committed length of the bets file the draw saw>,<storage::rows_checksum() of the
// rest>`, then one `agency,document` row per winning bet (lottery::has_won), in file
// order. Every winners answer of the round is read from it, so every answer to an agency
// is the same.
//
// The record is written aside and renamed into place: a process killed while writing it
// leaves no half of it. With Durability::kMachine its bytes are on disk before the rename,
// and the rename before record_draw() returns; without, a crash of the machine may leave
// it empty or torn, and a record whose header or checksum is wrong reads as absent.
// It is made by record_draw(), normally by the process that held the draw; if that
// process died first, by the first one to ask for winners. Either way it holds the same
// rows, because once the draw is held no bet enters the bets file.

// Makes sure the draw of the bets file at `bets_path` is recorded: under the lock file
// `<bets_path>.draw.lock`, the first caller scans the committed bets, calls `announce`
// (the `sorteo` line, which so comes before any answer can be read) and renames the
// record into place; later callers find it. Returns true for the call that wrote it.
// REQUIRES: the draw is held (no bet can be stored any more). Throws std::system_error
// naming the file that failed, and what reading the bets file throws.
bool record_draw(const std::string& bets_path, storage::Durability durability, const std::function<void()>& announce);

// The winners of a recorded draw, read once and answered per agency.
class RecordedWinners {
 public:
  // The documents of `agency`'s winning bets, in file order (none for an agency without).
  std::vector<std::string> of(std::uint32_t agency) const;

 private:
  friend RecordedWinners recorded_winners(const std::string& bets_path, storage::Durability durability,
                                          const std::function<void()>& announce);
  std::map<std::uint32_t, std::vector<std::string>> documents_;
};

// The winners in the record, which is made first (record_draw()) if it is not there yet.
// REQUIRES: the draw is held. Throws what record_draw() throws, and std::runtime_error
// naming the record when its checksum holds but its rows are not winners.
RecordedWinners recorded_winners(const std::string& bets_path, storage::Durability durability,
                                 const std::function<void()>& announce);

// Removes the record and its lock and scratch files, so that a new round on `bets_path`
// cannot read a previous round's winners. Throws std::system_error naming the file.
void remove_draw_record(const std::string& bets_path);

}  // namespace tp0::draw
