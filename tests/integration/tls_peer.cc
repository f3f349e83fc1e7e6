#include "tests/integration/tls_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tp0::testing {

SslEnd tls_peer(std::uint16_t port, const std::optional<tls::Credentials>& identity,
                const std::string& authority) {
  // The connection keeps its own reference to the context.
  const SslContext context(SslRole::kClient, identity, authority);
  return SslEnd(connect_to_loopback(port), context.get(), SslRole::kClient);
}

FakeTlsServer::FakeTlsServer(const tls::Credentials& identity, Script script)
    : context_(SslRole::kServer, identity, identity.authority), script_(std::move(script)) {
  listener_ = sys::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int ends[2];
  if (!listener_ ||
      ::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1 ||
      ::listen(listener_.get(), 8) == -1 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) == -1 ||
      ::pipe2(ends, O_CLOEXEC) == -1) {
    throw std::runtime_error(std::string("fake TLS server: ") + std::strerror(errno));
  }
  stop_read_ = sys::UniqueFd(ends[0]);
  stop_write_ = sys::UniqueFd(ends[1]);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeTlsServer::~FakeTlsServer() {
  if (thread_.joinable()) stop();
}

FakeTlsServer::Report FakeTlsServer::stop() {
  if (thread_.joinable()) {
    // The byte itself is the request; the pipe cannot be full.
    [[maybe_unused]] const ssize_t written = ::write(stop_write_.get(), "s", 1);
    thread_.join();
  }
  return report_;
}

void FakeTlsServer::serve() {
  while (true) {
    pollfd watched[2] = {{listener_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(watched, 2, -1) == -1) {
      if (errno == EINTR) continue;
      return;
    }
    if (watched[1].revents != 0) return;
    sys::UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection) continue;
    ++report_.connections;
    bound_waits(connection.get());
    SslEnd end(std::move(connection), context_.get(), SslRole::kServer);
    if (!end.handshake()) {
      report_.handshake_errors.push_back(end.error());
      continue;
    }
    ++report_.handshakes;
    script_(end);
  }
}

}  // namespace tp0::testing
