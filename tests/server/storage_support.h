#pragma once

#include <span>
#include <string>
#include <vector>

#include "server/storage/bets_file.h"
#include "server/storage/stream_table.h"

namespace tp0::storage {

// Every bet of the bets file at `path`, in order, as load_bets() gives them to a reader.
inline std::vector<lottery::Bet> load_all(const std::string& path) {
  std::vector<lottery::Bet> bets;
  load_bets(path, [&](const lottery::Bet& bet) { bets.push_back(bet); });
  return bets;
}

// Stages `bets` as one batch and stores it, as a connection does with a batch received alone.
inline Stored store(BetsFileWriter& writer, std::span<const lottery::Bet> bets,
                    const StreamAppend& append = {}) {
  writer.stage(bets);
  return writer.store_staged(append);
}

// A bets file writer with a stream table of its own (streams 1 to 3), as a process that
// shares none has: it reads the journal from its start.
class OwnWriter : private StreamTable, public BetsFileWriter {
 public:
  explicit OwnWriter(const std::string& path) : StreamTable({1, 2, 3}), BetsFileWriter(path, *this) {}

  Stored store(std::span<const lottery::Bet> bets, const StreamAppend& append = {}) {
    return storage::store(*this, bets, append);
  }
};

}  // namespace tp0::storage
