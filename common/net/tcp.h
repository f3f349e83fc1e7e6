#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/net/connection.h"
#include "common/sys/unique_fd.h"

namespace tp0::net {

// A listening TCP socket. Accepting never blocks: the owner polls fd() (together with
// the signal wake-up descriptor) and calls accept() when it is readable.
class TcpListener {
 public:
  // Binds to the first usable address of `host` (a name or an IP) and `port` (0 lets the
  // kernel choose) and listens. Throws NetError naming host and port on failure.
  static TcpListener listen(const std::string& host, std::uint16_t port, int backlog);

  // Returns the next pending connection, or nullopt if none is waiting right now. Like
  // connect_to's, its socket has TCP keepalive on (a peer gone without a word is found
  // within about a minute) and Nagle's algorithm off.
  // When the process or the system is out of descriptors, buffers or memory (EMFILE,
  // ENFILE, ENOBUFS, ENOMEM) it says so in `shortage` and returns nullopt: the connection
  // waits in the backlog, worth another try after a pause. No exception: nothing here
  // needs a descriptor or memory the system could not give. Throws NetError on another
  // failure other than a connection aborted before it was accepted.
  std::optional<Connection> accept(std::string& shortage);

  // The port actually bound (useful when 0 was asked for).
  std::uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  int fd() const { return fd_.get(); }

  // Stops listening now. The destructor does the same, silently.
  void close();

 private:
  TcpListener(sys::UniqueFd fd, std::string address, std::uint16_t port)
      : fd_(std::move(fd)), address_(std::move(address)), port_(port) {}

  sys::UniqueFd fd_;
  std::string address_;
  std::uint16_t port_;
};

// Connects to host:port, trying every address the name resolves to in turn, each for at
// most `timeout` (nullopt: as long as the kernel tries); its socket is set up as
// accept()'s. Throws NetError with the last failure when none accepts, or
// ShutdownRequested.
Connection connect_to(const std::string& host, const std::string& port,
                      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace tp0::net
