#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/net/errors.h"
#include "common/sys/signals.h"
#include "common/sys/unique_fd.h"

namespace tp0::net {

// What moves a connection's bytes: the socket itself (the default), or a TLS session
// over it (common/tls). Each call makes one attempt that never blocks; the Connection
// does the waiting, so every transport keeps the same deadlines and wakes for SIGTERM.
class Transport {
 public:
  // One attempt: how many bytes moved, or, when none could, the poll(2) event to wait for
  // before trying again. A receive of 0 bytes with nothing to wait for is the stream's end.
  struct Attempt {
    std::size_t bytes = 0;
    short wait_for = 0;
  };

  virtual ~Transport() = default;
  // Throw NetError (or another error naming the reason) naming `peer`.
  virtual Attempt send(int fd, std::span<const std::byte> data, const std::string& peer) = 0;
  virtual Attempt receive(int fd, std::span<std::byte> out, const std::string& peer) = 0;
  // Ends the transport's session in both directions, leaving the bare socket: returns
  // bytes 1 once done, or what to wait for. The socket itself has nothing to end.
  virtual Attempt finish(int /*fd*/, const std::string& /*peer*/) { return {1, 0}; }
  // Tells the peer, once and without waiting, that the session ends (TLS close_notify),
  // just before the socket is closed. Failures are not the closer's concern.
  virtual void say_goodbye(int /*fd*/) noexcept {}
};

// A connected stream socket (TCP, or one end of a socketpair), plain or secured by a
// Transport, with the read and write loops every caller needs: short reads and writes
// are continued,
// EINTR is retried, every wait also wakes for SIGTERM/SIGINT, and an optional idle
// timeout bounds how long one wait for the peer may take.
//
// Errors are exceptions: NetError (and its PeerClosed, ConnectionReset, IdleTimeout)
// naming the peer, ShutdownRequested when a signal asked the process to stop.
class Connection {
 public:
  Connection(sys::UniqueFd fd, std::string peer);

  // How long a single wait for the peer may last; nullopt waits forever.
  void set_idle_timeout(std::optional<std::chrono::milliseconds> timeout) { idle_timeout_ = timeout; }

  // Every wait must also end within `budget` from now, however active the peer: the idle
  // timeout alone lets a peer that sends a byte now and then hold the connection forever.
  // A wait past the deadline throws IdleTimeout, naming `bounds` (a literal) if given.
  // nullopt removes the deadline.
  // REQUIRES: no DeadlineGuard of this connection is alive (it would restore the old one).
  void set_deadline(std::optional<std::chrono::milliseconds> budget, const char* bounds = nullptr);

  // Sends every byte of `data`.
  void write_all(std::span<const std::byte> data);

  // Waits for data and reads what is available, at most out.size() bytes.
  // Returns 0 when the peer has closed its side.
  std::size_t read_some(std::span<std::byte> out);

  // Whether the peer's first message has arrived whole, read from the socket without
  // taking it: a header of `header` bytes whose last `length_bytes` give the length of
  // the body after it, big-endian (a frame's, a TLS record's). Never waits. Before any
  // TLS session only.
  bool holds_whole_message(std::size_t header, std::size_t length_bytes) const;

  // How long ago the connection was established, while nothing has been sent on it yet
  // (TCP_INFO's time since the last data sent, which counts from the establishment until
  // then); zero if the kernel cannot tell.
  std::chrono::milliseconds age_before_first_send() const;

  // The peer's address as shown in logs (an IP address for TCP).
  const std::string& peer() const { return peer_; }
  int fd() const { return fd_.get(); }

  // From now on every byte goes through `transport` (a TLS session whose handshake is done).
  void secure_with(std::unique_ptr<Transport> transport) { transport_ = std::move(transport); }
  // Ends the secure session in both directions, within the connection's deadlines, and
  // goes back to the bare socket: what a connection handed to another process needs,
  // since a TLS session's state cannot travel with its descriptor. Throws what the
  // loops throw.
  void return_to_plain();

  // Makes `attempt` (a Transport's step, or a transport's own exchange such as a
  // handshake) until it needs no wait, and returns its last result. In between it waits
  // for the event the attempt asked for, within the idle timeout and the deadline; the
  // shutdown flag is checked before every attempt, so a peer that never lets the socket
  // run dry cannot delay SIGTERM. `doing` starts the error message ("TLS handshake
  // with"). Throws what `attempt` throws, IdleTimeout and ShutdownRequested.
  template <typename Attempt>
  Transport::Attempt until_done(const char* doing, const Attempt& attempt) {
    while (true) {
      if (sys::signals::shutdown_requested()) throw ShutdownRequested();
      const Transport::Attempt result = attempt();
      if (result.wait_for == 0) return result;
      wait(result.wait_for, doing);
    }
  }

  // Says goodbye to the peer if the transport has a way to (TLS close_notify, never
  // blocking), then closes the socket; errors are reported as NetError. A closed
  // connection is not used again.
  void close();
  // Closes the socket now, ignoring errors: for a connection being given up on.
  void close_quietly() noexcept;

 private:
  friend class DeadlineGuard;

  // Waits until the socket is ready for `events` (POLLIN, POLLOUT), within the idle
  // timeout and the deadline. Throws IdleTimeout or ShutdownRequested.
  void wait(short events, const char* doing);

  // When the waits must be done by, the budget it was set with and, for a deadline of a
  // DeadlineGuard, what it bounds: all the error message needs.
  struct Deadline {
    std::chrono::steady_clock::time_point at;
    std::chrono::milliseconds budget{0};
    const char* bounds = nullptr;
  };

  sys::UniqueFd fd_;
  // Declared after fd_, so destroyed before it: a TLS session never outlives its socket.
  std::unique_ptr<Transport> transport_;
  std::string peer_;
  std::optional<std::chrono::milliseconds> idle_timeout_;
  std::optional<Deadline> deadline_;
};

// Within its scope, every wait of a connection must also end within `budget` from the
// guard's making: a bound on one step (the rest of a frame, one send) that the idle
// timeout, reset by every byte, cannot give. It only ever tightens: a deadline already
// in force that ends sooner (the introduction's) stays, and so does its error message.
// The deadline in force before is back when the guard goes.
//
// A wait past the guard's deadline throws IdleTimeout: "<doing> <peer>: <bounds> not done
// within its deadline of N ms". `bounds` (a literal: "frame", "send") names the step.
// REQUIRES: the connection outlives the guard, and guards of one connection nest.
class DeadlineGuard {
 public:
  // Without a budget (nullopt) the guard changes nothing.
  DeadlineGuard(Connection& connection, std::optional<std::chrono::milliseconds> budget, const char* bounds);
  ~DeadlineGuard() { connection_.deadline_ = saved_; }
  DeadlineGuard(const DeadlineGuard&) = delete;
  DeadlineGuard& operator=(const DeadlineGuard&) = delete;

 private:
  Connection& connection_;
  std::optional<Connection::Deadline> saved_;
};

}  // namespace tp0::net
