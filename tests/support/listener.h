#pragma once

#include <optional>
#include <string>

#include "common/net/errors.h"
#include "common/net/tcp.h"

namespace tp0::testing {

// TcpListener::accept() for the tests and the benchmark, where a shortage of descriptors
// or memory, which the server waits out, is a failure: thrown as NetError.
inline std::optional<net::Connection> accept_or_throw(net::TcpListener& listener) {
  std::string shortage;
  std::optional<net::Connection> connection = listener.accept(shortage);
  if (!shortage.empty()) throw net::NetError(shortage);
  return connection;
}

}  // namespace tp0::testing
