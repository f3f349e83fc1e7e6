#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/net/tcp.h"
#include "common/tls/context.h"
#include "tests/integration/cluster.h"

namespace tp0::testing {

// A scripted peer between one client and the server, which stops the client at an exact
// step of its ingest however fast it runs: it passes on the client's first `frames`
// frames whole and the first half of the next one, then nothing more of what the client
// sends. The server's answers keep flowing back, so the client gets every answer to the
// frames passed on and then waits for one that never comes, while the server waits in
// the middle of a frame. When the client closes its connection, the relay closes its own
// to the server. Every wait is bounded by RawPeer::kPeerPatience.
//
// When the server speaks TLS, so does the relay, on both sides, to see the frames: to the
// client as the server (with the server's certificate), to the server as the agency.
class PausingRelay {
 public:
  // Listens on 127.0.0.1 (at port()) and relays its first connection to the cluster's
  // server, speaking for agency `agency`.
  PausingRelay(Cluster& cluster, std::uint32_t agency, std::size_t frames);
  // Waits for the relay to end: once the client has closed, or after kPeerPatience.
  ~PausingRelay();
  PausingRelay(const PausingRelay&) = delete;
  PausingRelay& operator=(const PausingRelay&) = delete;

  std::uint16_t port() const { return listener_.port(); }

  // Why the relay stopped early ("" while it has not).
  std::string error() const;

 private:
  void relay(std::uint16_t server_port, std::size_t frames);
  // The connection to the server, through TLS when the server speaks it.
  net::Connection connect_to_server(std::uint16_t server_port);

  net::TcpListener listener_;
  // Both made before the relay's thread starts; null when the server speaks plain text.
  std::unique_ptr<tls::Context> as_server_;  // the client's session
  std::unique_ptr<tls::Context> as_agency_;  // the session to the server
  mutable std::mutex mutex_;
  std::string error_;
  std::thread thread_;
};

}  // namespace tp0::testing
