#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "server/storage/bets_file.h"

namespace tp0::storage {

// What a restarted server found of the round a previous run left behind.
struct PreviousRound {
  std::string archived_as;          // where the bets file was moved
  std::uint64_t bytes_dropped = 0;  // uncommitted rows cut from its end
};

// Starts a new round on `path`: if a bets file is there, cuts its uncommitted rows and
// moves it to the first free `<path>.<n>` (n = 1, 2, ...), its journal beside it as
// `<path>.<n>.journal`, so that the previous round's bets are kept but never counted
// twice or mixed with the new round's. The journal gets its second name first; then one
// rename moves the bets file; then the journal's first name goes. Killed at any step, it
// leaves at `path` the whole round or no bets file (a journal alone there describes
// nothing, and the next call removes it). With Durability::kMachine the directory is
// synced last. Returns nullopt when there was no bets file.
// REQUIRES: no other process uses `path` yet. Throws std::system_error or
// std::runtime_error naming the file.
std::optional<PreviousRound> archive_previous_round(const std::string& path, Durability durability);

}  // namespace tp0::storage
