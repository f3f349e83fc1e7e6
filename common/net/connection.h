#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "common/sys/unique_fd.h"

namespace tp0::net {

// A connected stream socket (or any stream descriptor, such as one end of a socketpair)
// with the read and write loops every caller needs: short reads and writes are continued,
// EINTR is retried, every wait also wakes for SIGTERM/SIGINT, and an optional idle
// timeout bounds how long one wait for the peer may take.
//
// Errors are exceptions: NetError (and its PeerClosed, IdleTimeout) naming the peer,
// ShutdownRequested when a signal asked the process to stop.
class Connection {
 public:
  Connection(sys::UniqueFd fd, std::string peer);

  ~Connection() = default;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // How long a single wait for the peer may last; nullopt waits forever.
  void set_idle_timeout(std::optional<std::chrono::milliseconds> timeout) { idle_timeout_ = timeout; }

  // Every wait must also end within `budget` from now, however active the peer: the idle
  // timeout alone lets a peer that sends a byte now and then hold the connection forever.
  // A wait past the deadline throws IdleTimeout. nullopt removes the deadline.
  void set_deadline(std::optional<std::chrono::milliseconds> budget);

  // Sends every byte of `data`.
  void write_all(std::span<const std::byte> data);

  // Waits for data and reads what is available, at most out.size() bytes.
  // Returns 0 when the peer has closed its side.
  std::size_t read_some(std::span<std::byte> out);

  // The peer's address as shown in logs (an IP address for TCP).
  const std::string& peer() const { return peer_; }
  int fd() const { return fd_.get(); }

  // Closes the socket now; errors are reported as NetError.
  void close();
  // Closes the socket now, ignoring errors: for a connection being given up on.
  void close_quietly() noexcept { fd_.reset(); }

 private:
  void wait(short events, const char* doing);

  sys::UniqueFd fd_;
  std::string peer_;
  std::optional<std::chrono::milliseconds> idle_timeout_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::chrono::milliseconds deadline_budget_{0};  // for the error message
};

}  // namespace tp0::net
