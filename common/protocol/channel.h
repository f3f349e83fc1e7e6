#pragma once

#include <optional>
#include <vector>

#include "common/net/connection.h"
#include "common/protocol/frame.h"
#include "common/protocol/messages.h"

namespace tp0::protocol {

// Typed messages over one connection: each send() is one frame written whole, each
// receive() one frame read whole and decoded.
class Channel {
 public:
  explicit Channel(net::Connection connection) : connection_(std::move(connection)) {}

  // Throws what encode() and Connection::write_all() throw.
  void send(const Message& message);

  // Returns the next message, or nullopt if the peer closed cleanly between messages.
  // Throws ProtocolError for a malformed frame and what FrameReader::next() throws.
  std::optional<Message> receive();

  // Like receive(), but the peer closing is a PeerClosed error naming `expected`.
  Message receive_expected(const char* expected);

  net::Connection& connection() { return connection_; }

 private:
  net::Connection connection_;
  FrameReader reader_;
  std::vector<std::byte> out_;
};

}  // namespace tp0::protocol
