#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "common/net/connection.h"
#include "server/child_processes.h"

namespace tp0::server {

// What the server does with its connections: echo or the lottery, chosen once at start.
// The accept loop (server.cc) knows nothing else of it: it accepts, forks or not, refuses
// at the child limit, reaps, and calls these.
class Service {
 public:
  virtual ~Service() = default;

  // In the parent, before the first connection: whatever the service needs running
  // (the lottery's round taken up, its waiting room forked among `children`); by default
  // nothing.
  virtual void start(ChildProcesses& /*children*/) {}

  // Told which member a connection proved to be, as soon as it has (admission.h); a
  // service without members never calls it.
  using Identified = std::function<void(std::uint32_t member)>;

  // Serves one conversation, in the process that owns `connection` (the parent, or a
  // child forked for it), and closes it. `budget`: how long the conversation may hold
  // that process while other connections wait (nullopt: as long as the peer keeps it
  // going). Returns true when the connection was handed to another process instead.
  // Throws NetError, ProtocolError or ShutdownRequested.
  virtual bool serve(net::Connection& connection, const Identified& identified,
                     std::optional<std::chrono::milliseconds> budget) = 0;

  // Turns away a connection the server has no room for, before it is closed: the lottery
  // tells its client the server is busy; by default it says nothing. Never blocks. Throws
  // NetError.
  virtual void refuse(net::Connection& /*connection*/) {}

  // Whether the connection's first message has arrived whole (read without taking it),
  // so that the accept loop may serve it before one whose peer is still silent or
  // trickling (server.cc); by default every connection counts as having said it.
  virtual bool first_message_arrived(const net::Connection& /*connection*/) const { return true; }

  // In the parent, once the children are gone: releases what start() made, logging each
  // (by default nothing).
  virtual void shut_down() {}
};

}  // namespace tp0::server
