#pragma once

#include <stdexcept>
#include <string>

namespace tp0::net {

// A connection failed: reset, refused, closed too early or silent too long.
// what() names the peer and what was being done.
class NetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The peer closed the connection in the middle of something that had to be complete.
class PeerClosed : public NetError {
 public:
  using NetError::NetError;
};

// The peer sent nothing for longer than the connection's idle timeout.
class IdleTimeout : public NetError {
 public:
  using NetError::NetError;
};

// A blocking wait was abandoned because SIGTERM or SIGINT arrived.
class ShutdownRequested : public std::runtime_error {
 public:
  ShutdownRequested() : std::runtime_error("shutdown requested") {}
};

}  // namespace tp0::net
