#pragma once

#include <cstddef>
#include <cstdint>

#include "common/lottery/bet.h"
#include "common/protocol/messages.h"

namespace tp0::client {

// Gathers bets into the next Batch message: at most `max_bets` bets, and never more than
// the 8 kB a frame may take, whatever `max_bets` says. Numbers the batches: each starts
// at the position after the last bet of the one before, the first at `first_position`.
class BatchBuilder {
 public:
  BatchBuilder(std::uint32_t agency, std::size_t max_bets, std::uint32_t first_position = 0);

  // True if `bet` can join the current batch. An empty batch accepts any encodable bet.
  bool fits(const lottery::Bet& bet) const;

  // REQUIRES: fits(bet).
  void add(lottery::Bet bet);

  bool empty() const { return batch_.bets.empty(); }
  const protocol::Batch& batch() const { return batch_; }

  // Starts the next batch where this one ends, keeping allocated storage.
  void clear();

 private:
  protocol::Batch batch_;
  std::size_t max_bets_;
  std::size_t frame_bytes_;
};

}  // namespace tp0::client
