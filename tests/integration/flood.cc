#include "tests/integration/flood.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <stdexcept>

#include "common/sys/unique_fd.h"

namespace tp0::testing {
namespace {

constexpr int kTickMs = 100;
// A TLS handshake record announcing 16 KiB: the server's TLS waits for all of it.
constexpr std::array<unsigned char, 5> kRecordHeader{0x16, 0x03, 0x01, 0x40, 0x00};

sockaddr_in loopback(const std::string& address, std::uint16_t port) {
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1) {
    throw std::invalid_argument("not an IPv4 address: " + address);
  }
  return where;
}

struct Attacker {
  std::size_t source = 0;
  sys::UniqueFd fd;
  bool connected = false;
  std::size_t sent = 0;
};

}  // namespace

Flood::Flood(std::uint16_t port, std::vector<std::string> sources, std::size_t per_source, Kind kind)
    : port_(port), sources_(std::move(sources)), per_source_(per_source), kind_(kind), thread_([this] {
        run();
      }) {}

Flood::~Flood() {
  stop_ = true;
  thread_.join();
}

void Flood::run() {
  const auto open = [&](Attacker& attacker) {
    attacker.fd = sys::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    attacker.connected = false;
    attacker.sent = 0;
    const sockaddr_in from = loopback(sources_[attacker.source], 0);
    const sockaddr_in to = loopback("127.0.0.1", port_);
    if (::bind(attacker.fd.get(), reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0 ||
        (::connect(attacker.fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
         errno != EINPROGRESS)) {
      attacker.fd.reset();
      return;
    }
    ++opened_;
  };
  std::vector<Attacker> attackers(sources_.size() * per_source_);
  for (std::size_t i = 0; i < attackers.size(); ++i) attackers[i].source = i / per_source_;
  auto next_tick = std::chrono::steady_clock::now();
  while (!stop_) {
    if (std::chrono::steady_clock::now() >= next_tick) {
      next_tick += std::chrono::milliseconds(kTickMs);
      for (Attacker& attacker : attackers) {
        if (!attacker.fd) {
          open(attacker);
        } else if (kind_ == Kind::kTrickle && attacker.connected) {
          const unsigned char byte = attacker.sent < kRecordHeader.size() ? kRecordHeader[attacker.sent] : 0;
          if (::send(attacker.fd.get(), &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++attacker.sent;
        }
      }
    }
    std::vector<pollfd> watched;
    for (const Attacker& attacker : attackers) {
      const short events = attacker.connected ? POLLIN : POLLOUT;
      watched.push_back(pollfd{attacker.fd ? attacker.fd.get() : -1, events, 0});
    }
    ::poll(watched.data(), watched.size(), kTickMs / 4);
    for (std::size_t i = 0; i < attackers.size(); ++i) {
      Attacker& attacker = attackers[i];
      if (watched[i].revents == 0) continue;
      if (!attacker.connected && (watched[i].revents & (POLLERR | POLLHUP)) == 0) {
        attacker.connected = true;
        continue;
      }
      std::array<std::byte, 512> discard{};
      const ssize_t received = ::recv(attacker.fd.get(), discard.data(), discard.size(), MSG_DONTWAIT);
      if (received > 0 || (received == -1 && errno == EAGAIN)) continue;
      // Closed or refused by the server: another takes its place at the next tick.
      attacker.fd.reset();
      ++ended_;
    }
  }
}

}  // namespace tp0::testing
