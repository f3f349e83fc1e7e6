#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/net/connection.h"
#include "common/tls/context.h"

namespace tp0::tls {

// The handshakes, each on a connected socket, within the connection's deadline and idle
// timeout (set them first), waking for SIGTERM like every other wait. Once one returns,
// every byte of `connection` goes through the TLS session (net::Transport), which an RAII
// type inside owns; Connection::close() sends close_notify, return_to_plain() ends the
// session in both directions.

// The server's side. Returns the agency the client's certificate names (subject CN
// "agency-<id>"). Throws TlsError when the peer is refused (no certificate, one the CA
// did not sign or that expired, plain text, a certificate naming no agency), NetError
// when the connection breaks, IdleTimeout past the deadline, ShutdownRequested.
std::uint32_t accept(net::Connection& connection, const Context& context);

// The client's side: the server's certificate must be signed by the CA and name `host`,
// the name or IP address the client dialed. Offers the last session the server gave, if
// any, for resumption. Throws like accept().
void connect(net::Connection& connection, Context& context, const std::string& host);

// An SSL object, owned.
using Ssl = std::unique_ptr<SSL, decltype(&SSL_free)>;

// connect() on a session the caller made and set up itself (the benchmark's load
// generator gives each agency's certificate to sessions of one shared SSL_CTX), offering
// `resumable` (may be null). Returns true when the server resumed it. Throws like accept().
bool connect_with(net::Connection& connection, Ssl ssl, const std::string& host, SSL_SESSION* resumable);

// The agency a certificate's subject common name designates ("agency-7" -> 7, the id
// in decimal without leading zeros), or nullopt for any other name.
std::optional<std::uint32_t> agency_named(const std::string& common_name);

}  // namespace tp0::tls
