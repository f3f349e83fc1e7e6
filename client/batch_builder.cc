#include "client/batch_builder.h"

#include <utility>

#include "common/protocol/codec.h"
#include "common/protocol/frame.h"

namespace tp0::client {

BatchBuilder::BatchBuilder(std::uint32_t agency, std::size_t max_bets, std::uint32_t first_position)
    : max_bets_(max_bets), frame_bytes_(protocol::kBatchOverheadBytes) {
  batch_.agency = agency;
  batch_.first_position = first_position;
}

bool BatchBuilder::fits(const lottery::Bet& bet) const {
  return batch_.bets.size() < max_bets_ &&
         frame_bytes_ + protocol::encoded_size(bet) <= protocol::kMaxFrameBytes;
}

void BatchBuilder::add(lottery::Bet bet) {
  frame_bytes_ += protocol::encoded_size(bet);
  batch_.bets.push_back(std::move(bet));
}

void BatchBuilder::clear() {
  batch_.first_position += static_cast<std::uint32_t>(batch_.bets.size());
  batch_.bets.clear();
  frame_bytes_ = protocol::kBatchOverheadBytes;
}

}  // namespace tp0::client
