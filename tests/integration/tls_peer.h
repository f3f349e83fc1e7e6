#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/sys/unique_fd.h"
#include "common/tls/credentials.h"
#include "tests/tls/ssl_end.h"

namespace tp0::testing {

// A peer of the test's own that connects to the server on 127.0.0.1:`port` and shows
// `identity` (nullopt: no certificate), trusting `authority`. The handshake is the
// caller's next step: handshake(), then frames with send() and receive().
SslEnd tls_peer(std::uint16_t port, const std::optional<tls::Credentials>& identity,
                const std::string& authority);

// A TLS server of the test's own on 127.0.0.1, for the client under test. It shows
// `identity` and runs `script` on each connection whose handshake completes, one at a
// time, in a thread of its own, until stop().
class FakeTlsServer {
 public:
  using Script = std::function<void(SslEnd&)>;

  // What the server saw, once stopped.
  struct Report {
    std::size_t connections = 0;
    std::size_t handshakes = 0;  // completed
    std::vector<std::string> handshake_errors;
  };

  // Throws std::runtime_error when it cannot listen or use `identity`.
  FakeTlsServer(const tls::Credentials& identity, Script script);
  ~FakeTlsServer();
  FakeTlsServer(const FakeTlsServer&) = delete;
  FakeTlsServer& operator=(const FakeTlsServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Stops accepting, waits for the connection being served, and says what happened.
  Report stop();

 private:
  void serve();

  SslContext context_;
  Script script_;
  sys::UniqueFd listener_;
  sys::UniqueFd stop_read_;
  sys::UniqueFd stop_write_;
  std::uint16_t port_ = 0;
  Report report_;
  std::thread thread_;
};

}  // namespace tp0::testing
