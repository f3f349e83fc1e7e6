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

// The peer reset the connection (TCP RST): it went without saying it was done, so what it
// had not read yet is lost. Not the clean end of a stream, whenever it comes.
class ConnectionReset : public NetError {
 public:
  using NetError::NetError;
};

// The peer sent nothing for longer than the connection's idle timeout, or a deadline of
// the connection passed (the message says which).
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
