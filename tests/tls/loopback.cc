#include "tests/tls/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tp0::testing {
namespace {

sys::UniqueFd checked(int fd, const char* doing) {
  if (fd == -1) throw std::runtime_error(std::string(doing) + ": " + std::strerror(errno));
  return sys::UniqueFd(fd);
}

}  // namespace

LoopbackPair make_loopback_pair() {
  const sys::UniqueFd listener = checked(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1 ||
      ::listen(listener.get(), 1) == -1 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) == -1) {
    throw std::runtime_error(std::string("listen on 127.0.0.1: ") + std::strerror(errno));
  }
  sys::UniqueFd client = checked(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  if (::connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw std::runtime_error(std::string("connect to 127.0.0.1: ") + std::strerror(errno));
  }
  sys::UniqueFd server = checked(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), "accept");
  return LoopbackPair{std::move(server), std::move(client)};
}

}  // namespace tp0::testing
