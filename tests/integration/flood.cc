#include "tests/integration/flood.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <list>
#include <stdexcept>

#include "common/sys/unique_fd.h"

namespace tp0::testing {
namespace {

constexpr std::chrono::milliseconds kTrickleEvery{100};
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
  sys::UniqueFd fd;
  bool connected = false;
  std::size_t sent = 0;
};

}  // namespace

std::vector<std::string> addresses_of_distinct_networks(std::size_t count) {
  std::vector<std::string> addresses;
  addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    addresses.push_back("127." + std::to_string(1 + i / 256) + "." + std::to_string(i % 256) + ".1");
  }
  return addresses;
}

Flood::Flood(std::uint16_t port, std::vector<std::string> sources, double per_second, Kind kind)
    : port_(port), sources_(std::move(sources)), per_second_(per_second), kind_(kind), thread_([this] {
        run();
      }) {}

Flood::~Flood() {
  stop_ = true;
  thread_.join();
}

double Flood::rate() const {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
  return static_cast<double>(opened_) / took.count();
}

void Flood::run() {
  const sockaddr_in to = loopback("127.0.0.1", port_);
  std::vector<sockaddr_in> from;
  from.reserve(sources_.size());
  for (const std::string& source : sources_) from.push_back(loopback(source, 0));
  std::list<Attacker> attackers;
  std::size_t next_source = 0;
  std::size_t attempts = 0;
  auto next_trickle = started_;
  std::vector<pollfd> watched;
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    const std::chrono::duration<double> elapsed = now - started_;
    // Those due by now, a few hundred at most at once, so that the poll below still runs.
    for (std::size_t burst = 0; static_cast<double>(attempts) < elapsed.count() * per_second_ && burst < 256;
         ++burst, ++attempts) {
      if (attackers.size() >= kMostOpen) attackers.pop_front();
      Attacker attacker;
      attacker.fd = sys::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      const sockaddr_in& source = from[next_source++ % from.size()];
      if (!attacker.fd ||
          ::bind(attacker.fd.get(), reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0 ||
          (::connect(attacker.fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
           errno != EINPROGRESS)) {
        continue;
      }
      ++opened_;
      attackers.push_back(std::move(attacker));
    }
    const bool trickle = kind_ == Flood::Kind::kTrickle && now >= next_trickle;
    if (trickle) next_trickle = now + kTrickleEvery;
    watched.clear();
    for (Attacker& attacker : attackers) {
      if (trickle && attacker.connected) {
        const unsigned char byte = attacker.sent < kRecordHeader.size() ? kRecordHeader[attacker.sent] : 0;
        if (::send(attacker.fd.get(), &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++attacker.sent;
      }
      watched.push_back(
          pollfd{attacker.fd.get(), static_cast<short>(attacker.connected ? POLLIN : POLLOUT), 0});
    }
    ::poll(watched.data(), watched.size(), 1);
    std::size_t i = 0;
    for (auto it = attackers.begin(); it != attackers.end(); ++i) {
      const short events = watched[i].revents;
      if (events != 0 && !it->connected && (events & (POLLERR | POLLHUP)) == 0) {
        it->connected = true;
      } else if (events != 0) {
        std::array<std::byte, 512> discard{};
        const ssize_t received = ::recv(it->fd.get(), discard.data(), discard.size(), MSG_DONTWAIT);
        if (received == 0 || (received < 0 && errno != EAGAIN)) {
          // Closed, refused or displaced by the server.
          it = attackers.erase(it);
          ++ended_;
          continue;
        }
      }
      ++it;
    }
  }
}

}  // namespace tp0::testing
