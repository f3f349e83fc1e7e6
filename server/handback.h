#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/net/connection.h"
#include "common/sys/unique_fd.h"

namespace tp0::server {

// The way back from a connection's child process to the parent (process mode), over a
// Unix socket pair created before the first fork.
//
// A child whose agency asks for its winners before the draw does not wait for it: that
// would hold one of the SERVER_MAX_CHILDREN slots that the agencies still betting need,
// and with more agencies than slots the round could never end. It hands the connection
// to the parent instead (the descriptor travels as SCM_RIGHTS) and exits. The parent
// keeps such connections, one per agency, until the draw, and then gives each to a new
// child that answers it. When a child holds the draw it says so here, so that the parent
// wakes at once.
class Handback {
 public:
  // A connection handed back, with the agency it speaks for.
  struct Waiting {
    std::uint32_t agency = 0;
    net::Connection connection;
  };

  // Throws std::system_error if the socket pair cannot be made.
  Handback();

  // Child side. Sends `connection` of `agency` to the parent; the caller then closes its
  // own descriptor (the parent holds another). Throws std::system_error on failure.
  void hand_over(std::uint32_t agency, const net::Connection& connection);
  // Child side. Tells the parent that the draw is held. Failure only delays the parent,
  // which also looks when a child exits, so it is not reported.
  void announce_draw();
  // Child side: closes the parent's end, which a child never reads.
  void close_parent_end() { parent_end_.close(); }

  // Parent side. The descriptor to poll for messages.
  int parent_fd() const { return parent_end_.get(); }
  // Parent side. Reads every message waiting, without blocking: the connections handed
  // over (a draw announcement carries none; the parent looks at the barrier itself).
  // Throws std::system_error on a failure other than there being nothing to read.
  std::vector<Waiting> receive();

 private:
  sys::UniqueFd parent_end_;
  sys::UniqueFd child_end_;
};

}  // namespace tp0::server
