#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/net/connection.h"

namespace tp0::bench {

// The client side of mutual TLS for the many agencies the load generator plays from one
// process, costing the server what as many bin/client processes would: each agency
// shows its own certificate (<dir>/agency-<id>/, the layout of scripts/make-certs.sh),
// does the whole handshake until the server has given it a session ticket, and from
// then on offers its own last ticket, as a client's tls::Context does. What the server
// cannot tell apart is shared: one SSL_CTX, and the CA's certificate loaded once.
//
// Why not a tls::Context per agency, as bin/client makes: one loads its three files
// through OpenSSL 3.0's decoders in 2.6 ms, which for ten thousand agencies is more CPU
// than the server spends on the round. Here each agency's certificate and key are read
// once, by load(), before the round starts.
class AgencyTls {
 public:
  // Loads the CA's certificate (<dir>/ca.crt). Throws tls::TlsError naming the file.
  AgencyTls(std::string dir, std::uint32_t agencies);
  ~AgencyTls();
  AgencyTls(const AgencyTls&) = delete;
  AgencyTls& operator=(const AgencyTls&) = delete;

  // Reads the certificate and key of `agency`. Throws tls::TlsError naming the file.
  // REQUIRES: called once per agency, before its first connect(); calls for different
  // agencies may run on different threads at once.
  void load(std::uint32_t agency);

  // The client handshake as `agency` on `connection` (connected, its timeouts set),
  // checking that the server's certificate names `host`; from then on the connection's
  // bytes go through the TLS session, as after tls::connect(). Throws what tls::connect
  // throws: NetError when the connection breaks (a busy server closes it unanswered),
  // tls::TlsError, IdleTimeout.
  // REQUIRES: one conversation per agency at a time (the agency's ticket is its own).
  void connect(net::Connection& connection, std::uint32_t agency, const std::string& host);

  // Frees what `agency` holds: it has its winners.
  void release(std::uint32_t agency);

  std::size_t full_handshakes() const { return full_handshakes_; }
  std::size_t resumed_handshakes() const { return resumed_handshakes_; }

  // What one agency holds; public for the session callback only.
  struct Identity {
    std::unique_ptr<X509, decltype(&X509_free)> certificate{nullptr, &X509_free};
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, &EVP_PKEY_free};
    // The last session the server offered, as tls::Context keeps it.
    std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)> session{nullptr, &SSL_SESSION_free};
  };

 private:
  std::string dir_;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  std::vector<Identity> identities_;  // agency K at K - 1; never resized
  std::atomic<std::size_t> full_handshakes_{0};
  std::atomic<std::size_t> resumed_handshakes_{0};
};

}  // namespace tp0::bench
