#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "common/net/connection.h"

namespace tp0::protocol {

// A frame is a 4-byte big-endian length followed by that many bytes of body. The whole
// frame, header included, never exceeds kMaxFrameBytes; see README "Protocol".
inline constexpr std::size_t kMaxFrameBytes = 8192;
inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::size_t kMaxBodyBytes = kMaxFrameBytes - kFrameHeaderBytes;

// Splits the byte stream of a connection into frame bodies. It reads in large chunks
// into a fixed buffer, so a frame costs no allocation and usually less than one read.
class FrameReader {
 public:
  // Returns the next frame's body, valid until the next call, or nullopt when the peer
  // closed the connection cleanly between two frames.
  //
  // Until the frame's first byte the connection's own timeouts apply (the idle timeout:
  // a peer may think between messages). Once it has begun (some of it buffered, or its
  // first byte read), with a `frame_timeout` the rest must come within that time as well
  // (a net::DeadlineGuard, "frame"), so a peer that trickles its bytes cannot hold the
  // connection; a deadline already in force that ends sooner stays.
  //
  // Throws ProtocolError for a length of zero or over kMaxBodyBytes (before reading the
  // body, so a hostile length costs nothing), PeerClosed when the stream ends mid-frame,
  // and whatever the connection throws (NetError, IdleTimeout, ShutdownRequested).
  std::optional<std::span<const std::byte>> next(
      net::Connection& connection, std::optional<std::chrono::milliseconds> frame_timeout = std::nullopt);

  // True when a whole frame is already buffered, so next() will not wait for the peer.
  bool has_frame() const;

 private:
  // Ensures at least `size` unread bytes are buffered. Returns false on a clean end of
  // stream before any of them arrived when `end_allowed`.
  bool fill(net::Connection& connection, std::size_t size, bool end_allowed);

  std::array<std::byte, 2 * kMaxFrameBytes> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace tp0::protocol
