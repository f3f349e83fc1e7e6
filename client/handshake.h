#pragma once

#include <chrono>
#include <string>

#include "common/net/connection.h"
#include "common/tls/context.h"

namespace tp0::client {

// How a new connection to the server is made ready for frames, chosen once at start
// (CLI_TLS): as it is, or after a TLS handshake. Whatever differs between the two is here.
class Handshake {
 public:
  virtual ~Handshake() = default;
  // Returns false when the server closed the connection during the handshake: a busy TLS
  // server refuses so. Throws IdleTimeout for a silent server, TlsError for one refused,
  // ShutdownRequested.
  virtual bool introduce(net::Connection& connection) = 0;
};

// CLI_TLS=off: the connection is ready as it is.
class NoHandshake final : public Handshake {
 public:
  bool introduce(net::Connection& /*connection*/) override { return true; }
};

// Mutual TLS: the server's certificate is checked against the CA and `host`, the name or
// address dialed; the handshake is done within `timeout` (server.timeout).
class TlsHandshake final : public Handshake {
 public:
  // Throws TlsError when the TLS files cannot be used.
  TlsHandshake(const tls::Credentials& credentials, std::string host, std::chrono::milliseconds timeout)
      : context_(tls::Context::Side::kClient, credentials), host_(std::move(host)), timeout_(timeout) {}
  bool introduce(net::Connection& connection) override;

 private:
  // Keeps the last session the server gave, so that the next connection resumes it.
  tls::Context context_;
  std::string host_;
  std::chrono::milliseconds timeout_;
};

}  // namespace tp0::client
