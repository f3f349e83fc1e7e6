#include "tests/integration/raw_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/protocol/codec.h"
#include "common/tls/session.h"
#include "tests/support/process.h"

namespace tp0::testing {

namespace {

net::Connection connect_to_port(std::uint16_t port) {
  return net::connect_to("127.0.0.1", std::to_string(port));
}

// A connection to 127.0.0.1:`port` whose socket got its receive buffer before connecting.
net::Connection connect_with_receive_buffer(std::uint16_t port, int bytes) {
  sys::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw net::NetError("socket: " + std::string(std::strerror(errno)));
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == -1) {
    throw net::NetError("SO_RCVBUF: " + std::string(std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw net::NetError("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  return net::Connection(std::move(fd), "127.0.0.1");
}

std::optional<std::string> folder_of(Cluster& cluster, std::uint32_t agency) {
  return cluster.tls() ? std::optional(cluster.agency_folder(agency)) : std::nullopt;
}

}  // namespace

RawPeer::RawPeer(Cluster& cluster, std::uint32_t agency)
    : RawPeer(folder_of(cluster, agency), connect_to_port(cluster.port())) {}

RawPeer::RawPeer(Cluster& cluster, std::uint32_t agency, int receive_buffer_bytes)
    : RawPeer(folder_of(cluster, agency), connect_with_receive_buffer(cluster.port(), receive_buffer_bytes)) {
}

RawPeer::RawPeer(std::uint16_t port, const std::string& folder)
    : RawPeer(std::optional(folder), connect_to_port(port)) {}

RawPeer::RawPeer(std::uint16_t port, PlainText) : RawPeer(std::nullopt, connect_to_port(port)) {}

RawPeer::RawPeer(const std::optional<std::string>& folder, net::Connection connection)
    : connection_(std::move(connection)) {
  connection_.set_idle_timeout(kPeerPatience);
  if (!folder) return;
  ignore_sigpipe();
  tls_ = std::make_unique<tls::Context>(tls::Context::Side::kClient, credentials_in(*folder, "agency"));
  tls::connect(connection_, *tls_, "127.0.0.1");
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

std::optional<protocol::Message> RawPeer::hello(std::uint32_t agency) {
  send(protocol::Hello{agency});
  return receive();
}

std::size_t RawPeer::read_some(std::span<std::byte> out) { return connection_.read_some(out); }

bool RawPeer::closed_by_server() {
  std::array<std::byte, 4096> sink{};
  try {
    while (connection_.read_some(sink) > 0) {
    }
    return true;
  } catch (const net::ConnectionReset&) {
    // A server closing with bytes of ours unread resets the connection: closed all the same.
    return true;
  } catch (const net::IdleTimeout&) {
    return false;
  }
}

void RawPeer::end_tls() {
  connection_.return_to_plain();
  tls_.reset();  // no session of it is left
}

void RawPeer::close(bool abort) {
  if (abort) {
    const linger reset{1, 0};
    ::setsockopt(connection_.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    connection_.close_quietly();
    return;
  }
  connection_.close();
}

std::unique_ptr<RawPeer> introduce_when_not_busy(Cluster& cluster, std::uint32_t agency) {
  const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
  const std::string who = "agency " + std::to_string(agency);
  while (true) {
    std::unique_ptr<RawPeer> peer;
    std::optional<protocol::Message> answer;
    try {
      peer = std::make_unique<RawPeer>(cluster, agency);
      answer = peer->hello(agency);
    } catch (const net::NetError&) {
      if (!cluster.tls() || std::chrono::steady_clock::now() > deadline) throw;
    }
    if (answer && std::holds_alternative<protocol::Resume>(*answer)) return peer;
    // A TLS server at its child limit closes the connection during the handshake, which a
    // TLS 1.3 client may learn only at its first message: closed, the server is busy too.
    const bool closed_while_busy = cluster.tls() && !answer;
    if (!closed_while_busy && answer != protocol::Message(protocol::Ack{protocol::AckCode::kServerBusy, 0})) {
      throw std::runtime_error("the Hello of " + who + " was refused");
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the server stayed busy for " + who);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the client's first retry pause
  }
}

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

std::vector<std::byte> frame_of(const protocol::Message& message) {
  std::vector<std::byte> frame;
  protocol::encode(message, frame);
  return frame;
}

std::vector<std::byte> frames_of(const std::vector<protocol::Message>& messages) {
  std::vector<std::byte> frames;
  for (const protocol::Message& message : messages) protocol::encode(message, frames);
  return frames;
}

std::size_t open_descriptors_of(int pid) {
  const std::filesystem::directory_iterator fds("/proc/" + std::to_string(pid) + "/fd");
  return static_cast<std::size_t>(std::distance(fds, std::filesystem::directory_iterator()));
}

std::size_t tcp_connections_of(int pid) {
  // The inodes of the TCP sockets not listening: each table's 4th column is the state (0A
  // is LISTEN), its 10th the socket's inode.
  std::set<std::string> connections;
  for (const char* table : {"/net/tcp", "/net/tcp6"}) {
    std::ifstream rows("/proc/" + std::to_string(pid) + table);
    std::string row;
    std::getline(rows, row);  // the header
    while (std::getline(rows, row)) {
      std::istringstream fields(row);
      std::string field, state, inode;
      for (int column = 1; column <= 10 && fields >> field; ++column) {
        if (column == 4) state = field;
        if (column == 10) inode = field;
      }
      if (state != "0A") connections.insert("socket:[" + inode + "]");
    }
  }
  std::size_t count = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code unreadable;  // closed meanwhile
    const auto target = std::filesystem::read_symlink(fd.path(), unreadable);
    if (!unreadable && connections.count(target.string()) > 0) ++count;
  }
  return count;
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

bool connection_children_reaped(const Process& server) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!connection_children_of(server).empty()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace tp0::testing
