#include "tests/integration/pausing_relay.h"

#include <poll.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "common/net/connection.h"
#include "common/protocol/frame.h"
#include "common/tls/session.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/listener.h"

namespace tp0::testing {
namespace {

constexpr int kPatienceMs = static_cast<int>(std::chrono::milliseconds(RawPeer::kPeerPatience).count());

// Waits until one of `fds` is readable. Throws, saying what was awaited, after kPeerPatience.
void await_readable(std::span<pollfd> fds, const char* awaited) {
  const int ready = ::poll(fds.data(), fds.size(), kPatienceMs);
  if (ready == -1) throw std::runtime_error(std::string("poll for ") + awaited + ": " + std::strerror(errno));
  if (ready == 0) throw std::runtime_error(std::string("no ") + awaited + " within the peer patience");
}

// The size, header included, of the frame at the start of `bytes`; 0 while its header is incomplete.
std::size_t frame_size(const std::vector<std::byte>& bytes) {
  if (bytes.size() < protocol::kFrameHeaderBytes) return 0;
  std::size_t body = 0;
  for (std::size_t i = 0; i < protocol::kFrameHeaderBytes; ++i)
    body = (body << 8) | std::to_integer<std::size_t>(bytes[i]);
  return protocol::kFrameHeaderBytes + body;
}

}  // namespace

PausingRelay::PausingRelay(Cluster& cluster, std::uint32_t agency, std::size_t frames)
    : listener_(net::TcpListener::listen("127.0.0.1", 0, 1)) {
  if (cluster.tls()) {
    ignore_sigpipe();
    as_server_ = std::make_unique<tls::Context>(tls::Context::Side::kServer,
                                                credentials_in(cluster.server_folder(), "server"));
    as_agency_ = std::make_unique<tls::Context>(tls::Context::Side::kClient,
                                                credentials_in(cluster.agency_folder(agency), "agency"));
  }
  thread_ = std::thread([this, server_port = cluster.port(), frames] { relay(server_port, frames); });
}

PausingRelay::~PausingRelay() { thread_.join(); }

std::string PausingRelay::error() const {
  const std::lock_guard lock(mutex_);
  return error_;
}

void PausingRelay::relay(std::uint16_t server_port, std::size_t frames) {
  try {
    pollfd listening{listener_.fd(), POLLIN, 0};
    await_readable(std::span(&listening, 1), "client connecting");
    std::optional<net::Connection> client = testing::accept_or_throw(listener_);
    if (!client) throw std::runtime_error("the client's connection ended before it was accepted");
    client->set_idle_timeout(RawPeer::kPeerPatience);
    if (as_server_) tls::accept(*client, *as_server_);
    // Opened when the client's first frame is to go, which then goes at once: a read of a
    // TLS server returns only with data, past the session tickets that follow its
    // handshake, so none may begin before the server has been sent something to answer.
    std::optional<net::Connection> server;
    std::vector<std::byte> held;  // bytes from the client not passed on yet
    std::array<std::byte, 2 * protocol::kMaxFrameBytes> chunk{};
    bool paused = false;
    bool server_open = true;
    while (true) {
      // A negative descriptor is left out of the poll: a closed server has nothing more to say.
      const int server_fd = server && server_open ? server->fd() : -1;
      std::array<pollfd, 2> fds{{{client->fd(), POLLIN, 0}, {server_fd, POLLIN, 0}}};
      await_readable(fds, "client or server message");
      if (fds[1].revents != 0) {
        const std::size_t got = server->read_some(chunk);
        if (got == 0) {
          server_open = false;
        } else {
          client->write_all(std::span(chunk).first(got));
        }
      }
      if (fds[0].revents == 0) continue;
      const std::size_t got = client->read_some(chunk);
      // The client closed: leaving closes the connection to the server too.
      if (got == 0) return;
      if (paused) continue;
      held.insert(held.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
      for (std::size_t size = frame_size(held); size != 0 && size <= held.size() && !paused;
           size = frame_size(held)) {
        paused = frames == 0;
        if (!server) server = connect_to_server(server_port);
        server->write_all(std::span(held).first(paused ? size / 2 : size));
        held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(size));
        if (!paused) --frames;
      }
    }
  } catch (const std::exception& error) {
    const std::lock_guard lock(mutex_);
    error_ = error.what();
  }
}

net::Connection PausingRelay::connect_to_server(std::uint16_t server_port) {
  net::Connection server = net::connect_to("127.0.0.1", std::to_string(server_port));
  server.set_idle_timeout(RawPeer::kPeerPatience);
  if (as_agency_) tls::connect(server, *as_agency_, "127.0.0.1");
  return server;
}

}  // namespace tp0::testing
