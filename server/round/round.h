#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/storage/bets_file.h"
#include "server/storage/stream_table.h"

namespace tp0::round {

// The round: its members, how many bets of each the bets file holds and whether it has
// finished, and whether the draw is held. It is kept once, in the journal's stream table
// (one row per member, in shared memory made before the server forks), and filled at
// start from the journal, which is the one durable truth. A member's row is its stream:
// "finished" is its stream closed, "drawn" is every member's stream closed.
//
// The rules, and what keeps each (the conversation's side is in lottery_session.cc):
// - Membership: only the round's agencies have a position (position_of); anything else
//   is refused at its first message, so it can neither store, count, nor learn.
// - Phases: an agency's bets are stored only while its stream is open, checked under the
//   bets file's exclusive lock by the same call that writes them (BetsFileWriter), and
//   Finished closes the stream under that lock: every store and every Finished of every
//   process are in one order.
// - Exactly once: a batch is stored only where its agency's stream ends; one sent again
//   is acknowledged only if the journal holds that very batch there.
// - The draw is a moment: when the last member's stream closes no bet can enter the
//   file any more, so the winners are fixed then. Exactly one process claims the draw
//   (claim_the_draw) and records it; every answer is read from that record.
class Round {
 public:
  // `agencies`: the round's ids, in any order, without repeats. Maps the shared table;
  // call before fork. Throws std::system_error when the mapping cannot be made.
  explicit Round(std::vector<std::uint32_t> agencies) : streams_(std::move(agencies)) {}

  // The position of `agency` in the round, or nullopt when it is not one of its agencies.
  std::optional<std::uint32_t> position_of(std::uint32_t agency) const { return streams_.index_of(agency); }
  std::uint32_t size() const { return streams_.size(); }

  // A writer of the round's bets file at `path`, whose stores and closes keep the round's
  // state: the one way to change it. Call in the process that writes (see BetsFileWriter).
  storage::BetsFileWriter writer(std::string path, storage::Durability durability) {
    return storage::BetsFileWriter(std::move(path), streams_, durability);
  }

  // How many members have finished.
  std::uint32_t finished_count() const { return streams_.closed_count(); }
  // True once every member has finished: the draw is held, no bet enters any more.
  bool drawn() const { return finished_count() == size(); }
  // True for exactly one call across all processes, once the draw is held: the caller
  // records the draw (draw::record_draw) and announces it.
  bool claim_the_draw() { return streams_.claim_all_closed(); }

  // What resume() found.
  struct Resumed {
    std::uint64_t bets = 0;  // the members' bets the file holds
    storage::Recovery recovery;
  };
  // Takes up the round the bets file at `path` and its journal hold, or a round without
  // bets when there are none (storage::recover(), which also creates them). REQUIRES:
  // once, before any connection is served. Throws std::runtime_error naming the file and
  // SERVER_ROUND=new when the file holds bets of an agency that is not a member, and what
  // recover() throws.
  Resumed resume(const std::string& path, storage::Durability durability);

  // Unmaps the shared state now. Throws std::system_error on failure.
  void release() { streams_.release(); }

 private:
  storage::StreamTable streams_;
};

}  // namespace tp0::round
