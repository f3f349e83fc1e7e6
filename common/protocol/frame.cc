#include "common/protocol/frame.h"

#include <cstring>
#include <optional>
#include <string>

#include "common/coding/coding.h"
#include "common/net/errors.h"
#include "common/protocol/errors.h"

namespace tp0::protocol {

bool FrameReader::fill(net::Connection& connection, std::size_t size, bool end_allowed) {
  if (end_ - begin_ >= size) return true;
  if (begin_ + size > buffer_.size()) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ - begin_ < size) {
    const std::size_t received = connection.read_some(std::span(buffer_).subspan(end_));
    if (received == 0) {
      if (end_allowed && end_ == begin_) return false;
      throw net::PeerClosed(connection.peer() + " closed the connection in the middle of a frame (" +
                            std::to_string(end_ - begin_) + " of " + std::to_string(size) +
                            " bytes received)");
    }
    end_ += received;
  }
  return true;
}

bool FrameReader::has_frame() const {
  const std::size_t buffered = end_ - begin_;
  if (buffered < kFrameHeaderBytes) return false;
  return buffered - kFrameHeaderBytes >= coding::get_big_endian<std::uint32_t>(buffer_.data() + begin_);
}

std::optional<std::span<const std::byte>> FrameReader::next(
    net::Connection& connection, std::optional<std::chrono::milliseconds> frame_timeout) {
  if (!fill(connection, 1, /*end_allowed=*/true)) return std::nullopt;
  const net::DeadlineGuard frame_deadline(connection, has_frame() ? std::nullopt : frame_timeout, "frame");
  fill(connection, kFrameHeaderBytes, /*end_allowed=*/false);
  const std::uint32_t length = coding::get_big_endian<std::uint32_t>(buffer_.data() + begin_);
  if (length == 0 || length > kMaxBodyBytes) {
    throw ProtocolError("frame from " + connection.peer() + " announces " + std::to_string(length) +
                        " bytes; the limit is 1.." + std::to_string(kMaxBodyBytes));
  }
  fill(connection, kFrameHeaderBytes + length, /*end_allowed=*/false);
  const std::span<const std::byte> body(buffer_.data() + begin_ + kFrameHeaderBytes, length);
  begin_ += kFrameHeaderBytes + length;
  if (begin_ == end_) begin_ = end_ = 0;
  return body;
}

}  // namespace tp0::protocol
