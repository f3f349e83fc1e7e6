#include "common/net/tcp.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/net/errors.h"
#include "common/sys/signals.h"

namespace tp0::net {
namespace {

using AddressList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

AddressList resolve(const std::string& host, const std::string& port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  const int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (status != 0) {
    throw NetError("resolve " + host + ":" + port + ": " + ::gai_strerror(status));
  }
  return AddressList(found, &::freeaddrinfo);
}

std::string ip_of(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  }
  return text;
}

std::uint16_t port_of(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

// A peer that vanished without a word (its machine off, the network cut) leaves an idle
// connection open for ever, and a wait on it with no deadline (the waiting room's, the
// client's for the draw) with it. Probes after 30 s of silence, every 10 s, 3 unanswered:
// such a peer is found within about a minute. Failure only loses that detection.
constexpr int kKeepaliveIdleSeconds = 30;
constexpr int kKeepaliveIntervalSeconds = 10;
constexpr int kKeepaliveProbes = 3;

// What every connected socket gets, dialed or accepted.
void tune_connected(int fd) {
  const int on = 1;
  // Small request/answer exchanges would otherwise wait on delayed ACKs; failure only costs latency.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdleSeconds, sizeof kKeepaliveIdleSeconds);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalSeconds, sizeof kKeepaliveIntervalSeconds);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveProbes, sizeof kKeepaliveProbes);
}

std::string describe_errno(const std::string& doing) { return doing + ": " + std::strerror(errno); }

// Tries `attempt` on a fresh non-blocking, close-on-exec socket for each resolved address
// in turn and returns the first result it gives. `attempt` returns nullopt, after saying
// why in `failure`, when an address does not work; when none does, the last reason is
// thrown as NetError prefixed by `doing`.
template <typename Attempt>
auto first_working_address(const AddressList& addresses, const std::string& doing, Attempt attempt) {
  std::string failure = "no address";
  for (const addrinfo* candidate = addresses.get(); candidate; candidate = candidate->ai_next) {
    sys::UniqueFd fd(::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                              candidate->ai_protocol));
    if (!fd) {
      failure = describe_errno("socket");
      continue;
    }
    if (auto result = attempt(*candidate, std::move(fd), failure)) return std::move(*result);
  }
  throw NetError(doing + ": " + failure);
}

}  // namespace

TcpListener TcpListener::listen(const std::string& host, std::uint16_t port, int backlog) {
  const AddressList addresses = resolve(host, std::to_string(port), /*passive=*/true);
  return first_working_address(
      addresses, "listen on " + host + ":" + std::to_string(port),
      [&](const addrinfo& candidate, sys::UniqueFd fd, std::string& failure) -> std::optional<TcpListener> {
        const int on = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (::bind(fd.get(), candidate.ai_addr, candidate.ai_addrlen) == -1) {
          failure = describe_errno("bind");
          return std::nullopt;
        }
        if (::listen(fd.get(), backlog) == -1) {
          failure = describe_errno("listen");
          return std::nullopt;
        }
        sockaddr_storage bound{};
        socklen_t length = sizeof bound;
        if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length) == -1) {
          failure = describe_errno("getsockname");
          return std::nullopt;
        }
        return TcpListener(std::move(fd), ip_of(reinterpret_cast<const sockaddr*>(&bound)), port_of(bound));
      });
}

std::optional<Connection> TcpListener::accept(std::string& shortage) {
  while (true) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    sys::UniqueFd fd(::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC));
    if (fd) {
      tune_connected(fd.get());
      return Connection(std::move(fd), ip_of(reinterpret_cast<const sockaddr*>(&peer)));
    }
    switch (errno) {
      case EAGAIN:
#if EAGAIN != EWOULDBLOCK
      case EWOULDBLOCK:
#endif
        return std::nullopt;
      case EINTR:
      case ECONNABORTED:
      case EPROTO:
        continue;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        shortage = describe_errno("accept on " + address_ + ":" + std::to_string(port_));
        return std::nullopt;
      default:
        throw NetError(describe_errno("accept on " + address_ + ":" + std::to_string(port_)));
    }
  }
}

void TcpListener::close() {
  try {
    fd_.close();
  } catch (const std::system_error& error) {
    throw NetError("close listener " + address_ + ": " + error.what());
  }
}

Connection connect_to(const std::string& host, const std::string& port,
                      std::optional<std::chrono::milliseconds> timeout) {
  const AddressList addresses = resolve(host, port, /*passive=*/false);
  return first_working_address(
      addresses, "connect to " + host + ":" + port,
      [&](const addrinfo& candidate, sys::UniqueFd fd, std::string& failure) -> std::optional<Connection> {
        // Non-blocking connect, so that SIGTERM and the timeout interrupt it too.
        if (::connect(fd.get(), candidate.ai_addr, candidate.ai_addrlen) == -1) {
          if (errno != EINPROGRESS) {
            failure = describe_errno("connect");
            return std::nullopt;
          }
          const sys::WaitResult waited = sys::wait_for(fd.get(), POLLOUT, timeout);
          if (waited == sys::WaitResult::kShutdown) throw ShutdownRequested();
          if (waited == sys::WaitResult::kTimeout) {
            failure = "connect: not connected within " + std::to_string(timeout->count()) + " ms";
            return std::nullopt;
          }
          int error = 0;
          socklen_t length = sizeof error;
          ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
          if (error != 0) {
            failure = std::string("connect: ") + std::strerror(error);
            return std::nullopt;
          }
        }
        tune_connected(fd.get());
        return Connection(std::move(fd), ip_of(candidate.ai_addr));
      });
}

}  // namespace tp0::net
