#pragma once

#include <sys/socket.h>

#include <stdexcept>
#include <utility>

#include "common/net/connection.h"
#include "common/sys/unique_fd.h"

namespace tp0::testing {

// Two connected stream sockets: `local` wrapped as a Connection under test, `remote` a
// raw descriptor the test writes to or reads from to play the peer.
struct SocketPair {
  net::Connection local;
  sys::UniqueFd remote;
};

inline SocketPair make_socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1) {
    throw std::runtime_error("socketpair failed");
  }
  return SocketPair{net::Connection(sys::UniqueFd(fds[0]), "test-peer"), sys::UniqueFd(fds[1])};
}

}  // namespace tp0::testing
