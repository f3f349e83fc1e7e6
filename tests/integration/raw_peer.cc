#include "tests/integration/raw_peer.h"

#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/protocol/codec.h"
#include "tests/support/process.h"

namespace tp0::testing {

RawPeer::RawPeer(std::uint16_t port) : connection_(net::connect_to("127.0.0.1", std::to_string(port))) {
  connection_.set_idle_timeout(kPeerPatience);
}

void RawPeer::send_bytes(std::span<const std::byte> bytes) { connection_.write_all(bytes); }

void RawPeer::send(const protocol::Message& message) { send_bytes(frame_of(message)); }

void RawPeer::send_first_bytes_of(const protocol::Message& message, std::size_t bytes) {
  const auto frame = frame_of(message);
  send_bytes(std::span(frame).first(bytes));
}

std::optional<protocol::Message> RawPeer::receive() {
  const auto body = reader_.next(connection_);
  if (!body) return std::nullopt;
  return protocol::decode(*body);
}

bool RawPeer::closed_by_server() {
  std::array<std::byte, 4096> sink{};
  try {
    while (connection_.read_some(sink) > 0) {
    }
    return true;
  } catch (const net::IdleTimeout&) {
    return false;
  }
}

void RawPeer::close(bool abort) {
  if (abort) {
    const linger reset{1, 0};
    ::setsockopt(connection_.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  connection_.close();
}

std::vector<std::byte> frame_of(const protocol::Message& message) {
  std::vector<std::byte> frame;
  protocol::encode(message, frame);
  return frame;
}

std::size_t open_descriptors_of(int pid) {
  const std::filesystem::directory_iterator fds("/proc/" + std::to_string(pid) + "/fd");
  return static_cast<std::size_t>(std::distance(fds, std::filesystem::directory_iterator()));
}

}  // namespace tp0::testing

namespace tp0::testing {

std::vector<int> connection_children_of(const Process& server) {
  std::vector<int> children = children_of(server.pid());
  for (const auto& line : server.lines_containing("action: open_waiting_room | result: success")) {
    const int room = std::stoi(field_of(line, "pid"));
    children.erase(std::remove(children.begin(), children.end(), room), children.end());
  }
  return children;
}

}  // namespace tp0::testing
