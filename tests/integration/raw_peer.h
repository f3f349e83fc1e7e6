#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/net/connection.h"
#include "common/protocol/frame.h"
#include "common/protocol/messages.h"
#include "tests/support/process.h"

namespace tp0::testing {

// A test's own end of a TCP connection to the server, for speaking the protocol badly
// on purpose: raw bytes, half frames, messages out of order. Every wait for the server
// is bounded by kPeerPatience, so a server that hangs fails the test instead of it.
class RawPeer {
 public:
  static constexpr std::chrono::seconds kPeerPatience{20};

  // Connects to 127.0.0.1:`port`. Throws NetError if that fails.
  explicit RawPeer(std::uint16_t port);

  void send_bytes(std::span<const std::byte> bytes);
  // Sends one whole frame holding `message`.
  void send(const protocol::Message& message);
  // Sends the frame of `message` cut after `bytes` bytes.
  void send_first_bytes_of(const protocol::Message& message, std::size_t bytes);

  // The server's next message, or nullopt if it closed the connection first.
  std::optional<protocol::Message> receive();

  // True when the server closes the connection (discarding anything it sends before).
  bool closed_by_server();

  // Closes now, with a reset instead of the usual orderly close when `abort` is set.
  void close(bool abort = false);

 private:
  net::Connection connection_;
  protocol::FrameReader reader_;
};

// The frame of `message`: header and body.
std::vector<std::byte> frame_of(const protocol::Message& message);

// The children of a running `server` that serve connections: all but its waiting room
// (the pid of its `open_waiting_room` line, in process lottery mode).
std::vector<int> connection_children_of(const Process& server);
// How many file descriptors `pid` has open (from /proc).
std::size_t open_descriptors_of(int pid);

}  // namespace tp0::testing
