#pragma once

#include <cstdint>

#include "common/protocol/channel.h"
#include "server/child_processes.h"
#include "server/round/round.h"

namespace tp0::server {

// What an agency that asks for its winners before the draw is told, chosen once at start
// (SERVER_CONCURRENCY): in `sequential` to ask again later (AskAgainLater), in `process`
// to wait for the draw in the waiting room (waiting_room.h). Whatever differs between the
// two in the lottery is here, and nowhere else.
class BeforeTheDraw {
 public:
  virtual ~BeforeTheDraw() = default;

  // In the parent, before the first connection, once the round is taken up.
  virtual void start(ChildProcesses& /*children*/, const round::Round& /*round*/) {}

  // In the process about to serve a connection, before it does.
  virtual void serving_a_connection() {}

  // Answers the winners query of `agency` on `channel`, asked before the draw. Returns
  // true when the connection was handed to another process: the conversation ends, and
  // its caller no longer speaks on it. Throws ProtocolError, NetError, ShutdownRequested.
  virtual bool answer_early_query(std::uint32_t agency, protocol::Channel& channel) = 0;

  // In the process that held the draw, once it is recorded.
  virtual void draw_held() {}
};

// `sequential`: the client is answered NotReady and asks again later on a new connection,
// so that the server, one connection at a time, serves the agencies still betting.
class AskAgainLater final : public BeforeTheDraw {
 public:
  bool answer_early_query(std::uint32_t /*agency*/, protocol::Channel& channel) override {
    channel.send(protocol::NotReady{});
    return false;
  }
};

}  // namespace tp0::server
