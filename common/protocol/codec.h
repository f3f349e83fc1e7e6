#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/lottery/bet.h"
#include "common/protocol/frame.h"
#include "common/protocol/messages.h"

namespace tp0::protocol {

// Bytes a Batch frame takes before its first bet: frame header, type, agency, first
// position, count.
inline constexpr std::size_t kBatchOverheadBytes = kFrameHeaderBytes + 1 + 4 + 4 + 2;

// Bytes one bet adds to a Bet or Batch message.
std::size_t encoded_size(const lottery::Bet& bet);

// Appends one complete frame (header and body) holding `message` to `out`.
// Throws std::length_error if the frame would exceed kMaxFrameBytes, std::invalid_argument
// for a string over 255 bytes or a birthdate not of 10 (whether a bet is valid is the
// domain's call); after a throw `out` is as it was.
void encode(const Message& message, std::vector<std::byte>& out);
// The same for a Batch, without first copying all its bets into a Message.
void encode(const Batch& batch, std::vector<std::byte>& out);

// Decodes one frame body. Throws ProtocolError for an unknown type, a truncated body or
// bytes left over.
Message decode(std::span<const std::byte> body);

// Cuts a list of winning documents, given one at a time, into Winners messages that each
// fit in one frame, handing each to `emit` as soon as it is full: a list of any length
// costs one frame's worth of memory. finish() emits the last message (an empty list
// gives one empty, last message).
class WinnersSplitter {
 public:
  explicit WinnersSplitter(std::function<void(const Winners&)> emit);

  void add(const std::string& document);
  void finish();

 private:
  std::function<void(const Winners&)> emit_;
  Winners message_;
  std::size_t frame_bytes_;
};

}  // namespace tp0::protocol
