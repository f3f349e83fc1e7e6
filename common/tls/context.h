#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/tls/credentials.h"

namespace tp0::tls {

// One program's TLS settings, made once at start (in the server, before any fork, so
// that every child shares the keys that protect session tickets): TLS 1.3 only, this
// side's certificate and key, and the peer's certificate required and checked against
// the CA (its chain's depth and size capped, its purpose set), and refused when the CA's
// revocation list names it, on a resumed session too. A client's context also keeps the
// last session the server offered, so that a new connection resumes it instead of doing
// the whole handshake again.
class Context {
 public:
  enum class Side { kServer, kClient };

  // Throws TlsError naming the file OpenSSL could not use and why (a revocation list that
  // is malformed, out of date or not signed by the CA among them).
  Context(Side side, const Credentials& credentials);
  ~Context() = default;
  // Neither copied nor moved: OpenSSL's callbacks find the Context by its address.
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  SSL_CTX* get() const { return context_.get(); }

  // Client side: the session to offer for resumption, or nullptr.
  SSL_SESSION* resumable_session() const { return resumable_.get(); }

 private:
  // Server side: loads the revocation list at `path` into the checks of every handshake.
  void refuse_revoked(const std::string& path);
  static int keep_session(SSL* ssl, SSL_SESSION* session);

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)> resumable_{nullptr, &SSL_SESSION_free};
  // Server side, with a revocation list: it, for the session tickets' check.
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> revoked_{nullptr, &X509_CRL_free};
};

}  // namespace tp0::tls
