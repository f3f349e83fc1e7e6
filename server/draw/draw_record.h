#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "config/durability.h"

namespace tp0::draw {

// The draw's result, recorded once beside the bets file as the directory
// `<bets_path>.draw`: each agency's winning bets (lottery::has_won), in a file of its own
// (docs/journal.md). Every winners answer of the round is read from it, so every answer
// to an agency is the same, and each answer reads its agency's file only.
//
// The record is written aside, synced, and only then renamed into place: whatever
// process or machine crash comes, a record that is there is whole. It is made by
// record_draw(), normally by the process that held the draw; if that process died
// first, by the first one to ask for winners. Either way it holds the same rows, because
// once the draw is held no bet enters the bets file.

// Makes sure the draw of the bets file at `bets_path` is recorded: under the lock file
// `<bets_path>.draw.lock`, the first caller scans the committed bets, calls `announce`
// (the `sorteo` line, which so comes before any answer can be read) and renames the
// record into place (with Durability::kMachine, the rename too is on disk before it
// returns); later callers find it. Returns true for the call that wrote it.
// REQUIRES: the draw is held (no bet can be stored any more). Throws std::system_error
// naming the file that failed, and what reading the bets file throws.
bool record_draw(const std::string& bets_path, storage::Durability durability,
                 const std::function<void()>& announce);

// Calls `visit` with the document of each of `agency`'s winning bets, in file order, and
// returns how many (none for an agency without). Reads the agency's file through the CSV
// reader's fixed buffer, whatever its size; the record is made first (record_draw())
// when it is not there. REQUIRES: the draw is held. Throws what record_draw() throws,
// std::runtime_error naming the file when a row is not one of the agency's winners.
std::uint64_t visit_winners(const std::string& bets_path, std::uint32_t agency,
                            storage::Durability durability, const std::function<void()>& announce,
                            const std::function<void(const std::string&)>& visit);

// Removes the record and its lock and scratch directory, so that a new round on
// `bets_path` cannot read a previous round's winners; with Durability::kMachine, a record
// removed stays so after a crash of the machine (the directory is synced). Throws
// std::system_error naming the file; a directory within the record, which no writer
// makes, is such an error, named under the scratch directory's name.
void remove_draw_record(const std::string& bets_path, storage::Durability durability);

}  // namespace tp0::draw
