#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/net/connection.h"
#include "common/sys/unique_fd.h"

namespace tp0::server {

// The way from a connection's child process to the waiting room (process mode; see
// waiting_room.h), over a Unix socket pair created before the first fork.
//
// A child whose agency asks for its winners before the draw does not wait for it: that
// would hold one of the SERVER_MAX_CHILDREN slots that the agencies still betting need,
// and with more agencies than slots the round could never end. It hands the connection
// to the waiting room instead (the descriptor travels as SCM_RIGHTS) and exits. When a
// child holds the draw it says so here, so that the waiting room answers at once.
class Handback {
 public:
  // The room took nothing within the hand-over's patience.
  class HandOverTimedOut : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
  };

  // A connection handed back, with the agency it speaks for.
  struct Waiting {
    std::uint32_t agency = 0;
    net::Connection connection;
  };

  // Throws std::system_error if the socket pair cannot be made.
  Handback();

  // Connection side. Sends `connection` of `agency` to the waiting room; the caller then
  // closes its own descriptor (the room holds another). Never blocks past `patience` or a
  // SIGTERM: the socket's buffer, shared by every child, fills when the room reads
  // nothing (it is dead and not yet started again, or slow). Throws HandOverTimedOut
  // when `patience` passed, net::ShutdownRequested on SIGTERM or SIGINT,
  // std::system_error on another failure; the caller then closes the connection, and
  // its client asks again on a new one.
  void hand_over(std::uint32_t agency, const net::Connection& connection, std::chrono::milliseconds patience);
  // Connection side. Tells the waiting room that the draw is held, if that can be done
  // at once. Failure only delays the room, which also looks at the round now and then,
  // so it is not reported.
  void announce_draw();
  // Closes the room's end: in every connection's child. The parent keeps it, so that
  // what was sent to a room that died waits for the next one.
  void close_room_end() { room_end_.reset(); }
  // Closes the connections' end: in the waiting room.
  void close_connection_end() { connection_end_.reset(); }

  // Waiting-room side. The descriptor to poll for messages.
  int room_fd() const { return room_end_.get(); }
  // Waiting-room side. Reads every message waiting, without blocking: the connections
  // handed over (a draw announcement carries none; the room looks at the round itself).
  // A connection whose descriptor the kernel dropped (MSG_CTRUNC: the room has no
  // descriptor free) is logged as a warning naming its agency and address; its client
  // sees the connection closed and asks again. Once every connection end is closed (the
  // server is gone) it returns what it read. Throws std::system_error on a failure
  // other than there being nothing to read.
  std::vector<Waiting> receive();

 private:
  sys::UniqueFd room_end_;
  sys::UniqueFd connection_end_;
};

}  // namespace tp0::server
