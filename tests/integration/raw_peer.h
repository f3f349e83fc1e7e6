#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/net/connection.h"
#include "common/protocol/frame.h"
#include "common/protocol/messages.h"
#include "common/tls/context.h"
#include "tests/integration/cluster.h"
#include "tests/support/process.h"

namespace tp0::testing {

// A test's own end of a TCP connection to the server, for speaking the protocol badly
// on purpose: raw bytes, half frames, messages out of order. By default it speaks them
// through TLS with an agency's certificate, as the project's client does, so that what
// it breaks is the conversation itself; in plain text for what is about plain text.
// Every wait for the server is bounded by kPeerPatience, so a server that hangs fails
// the test instead of it.
class RawPeer {
 public:
  static constexpr std::chrono::seconds kPeerPatience{20};
  struct PlainText {};

  // Connects to the cluster's server as agency `agency`: through TLS with the agency's
  // certificate (Cluster::agency_folder), unless the server speaks plain text.
  RawPeer(Cluster& cluster, std::uint32_t agency);
  // Connects to 127.0.0.1:`port` and does the TLS handshake with the credentials in
  // `folder` (agency.crt, agency.key, ca.crt), checking the server's certificate.
  RawPeer(std::uint16_t port, const std::string& folder);
  // Connects to 127.0.0.1:`port` and speaks plain text.
  RawPeer(std::uint16_t port, PlainText);
  // As RawPeer(cluster, agency), with a socket whose receive buffer was made
  // `receive_buffer_bytes` small before it connected (the window it offers the server
  // follows from it): a peer that reads slowly or not at all holds little of an answer.
  RawPeer(Cluster& cluster, std::uint32_t agency, int receive_buffer_bytes);
  // All throw NetError if the connection fails or the server closes it during the
  // handshake (as a TLS server at its child limit does), TlsError if TLS refuses.

  void send_bytes(std::span<const std::byte> bytes);
  // Sends one whole frame holding `message`.
  void send(const protocol::Message& message);
  // Sends the frame of `message` cut after `bytes` bytes.
  void send_first_bytes_of(const protocol::Message& message, std::size_t bytes);

  // The server's next message, or nullopt if it closed the connection first.
  std::optional<protocol::Message> receive();
  // Says Hello as `agency` and returns the answer (receive()).
  std::optional<protocol::Message> hello(std::uint32_t agency);
  // At most out.size() bytes of what the server sent, as they come; 0 once it closed.
  std::size_t read_some(std::span<std::byte> out);

  // True when the server closes the connection (discarding anything it sends before),
  // false when it stays silent for kPeerPatience.
  bool closed_by_server();

  // Ends the TLS session in both directions and goes on on the bare connection, as the
  // project's client does when it is answered WaitForDraw. Nothing to do in plain text.
  void end_tls();

  // Closes now, with a reset instead of the usual orderly close (and TLS close_notify)
  // when `abort` is set.
  void close(bool abort = false);

 private:
  // TLS with the credentials in `folder` over `connection`, or plain text without.
  RawPeer(const std::optional<std::string>& folder, net::Connection connection);

  // Declared before the connection, so that it outlives the session it made.
  std::unique_ptr<tls::Context> tls_;
  net::Connection connection_;
  protocol::FrameReader reader_;
};

// Connects as agency `agency` and says Hello, again while the server is busy (at its
// child limit: with TLS it closes the connection during the handshake, in plain text it
// answers so), until it answers Resume. Throws std::runtime_error for any other answer.
std::unique_ptr<RawPeer> introduce_when_not_busy(Cluster& cluster, std::uint32_t agency);

// OpenSSL writes to its socket with write(2), which raises SIGPIPE once the peer has
// gone: like the programs (sys::signals), a test that speaks TLS ignores it, so that a
// closed connection is an error return, not the test's death. Harmless to call again.
void ignore_sigpipe();

// The frame of `message`: header and body.
std::vector<std::byte> frame_of(const protocol::Message& message);
// The frames of `messages` one after the other, for one write that the server reads whole.
std::vector<std::byte> frames_of(const std::vector<protocol::Message>& messages);

// The children of a running `server` that serve connections: all but its waiting room
// (the pid of its `open_waiting_room` line, in process lottery mode).
std::vector<int> connection_children_of(const Process& server);
// Waits until the running `server` has reaped every child it forked to serve a
// connection; false after kStartTimeout.
bool connection_children_reaped(const Process& server);
// How many file descriptors `pid` has open (from /proc).
std::size_t open_descriptors_of(int pid);
// How many of them are TCP connections (sockets of /proc/net/tcp and tcp6 in any state but
// LISTEN), whatever else the process has opened or closed.
std::size_t tcp_connections_of(int pid);

}  // namespace tp0::testing
