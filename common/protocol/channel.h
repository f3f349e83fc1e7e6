#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "common/net/connection.h"
#include "common/protocol/codec.h"
#include "common/protocol/frame.h"
#include "common/protocol/messages.h"

namespace tp0::protocol {

// Typed messages over one connection: each message is one frame written whole, each
// receive() one frame read whole and decoded.
class Channel {
 public:
  explicit Channel(net::Connection connection) : connection_(std::move(connection)) {}

  // Sends `message` (a Message or one of its types) now, after any posted before it.
  // Throws what encode() and Connection::write_all() throw.
  template <typename AnyMessage>
  void send(const AnyMessage& message) {
    post(message);
    flush();
  }

  // Queues `message` to go out with the next send() or flush(), or before the next
  // receive() that has to wait for the peer, whichever comes first: answers to requests
  // the peer sent back to back leave in one write. A Batch is encoded as it is, not
  // copied into a Message first. Throws what encode() throws; encode() appends nothing
  // when it throws, so a refused message leaves no half frame.
  template <typename AnyMessage>
  void post(const AnyMessage& message) {
    encode(message, out_);
  }

  // Sends what was posted and not yet sent, within the frame timeout when there is one.
  // Throws what Connection::write_all() throws.
  void flush();

  // With a timeout, each frame received must be whole within it once its first byte has
  // come (FrameReader::next), and each flush() done within it: a peer that trickles its
  // messages or reads its answers slowly cannot hold the connection. The silence
  // between messages is the connection's idle timeout's alone. nullopt (the default):
  // only the connection's own timeouts apply.
  void set_frame_timeout(std::optional<std::chrono::milliseconds> timeout) { frame_timeout_ = timeout; }
  std::optional<std::chrono::milliseconds> frame_timeout() const { return frame_timeout_; }

  // Returns the next message, or nullopt if the peer closed cleanly between messages.
  // Throws ProtocolError for a malformed frame and what FrameReader::next() throws.
  std::optional<Message> receive();

  // True when a whole message is already buffered: receive() will not wait for the peer.
  bool has_message() const { return reader_.has_frame(); }

  // Like receive(), but the peer closing is a PeerClosed error naming `expected`.
  Message receive_expected(const char* expected);

  net::Connection& connection() { return connection_; }

 private:
  net::Connection connection_;
  FrameReader reader_;
  std::vector<std::byte> out_;  // posted, not yet sent
  std::optional<std::chrono::milliseconds> frame_timeout_;
};

}  // namespace tp0::protocol
