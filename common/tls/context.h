#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/tls/credentials.h"

namespace tp0::tls {

// One program's TLS settings, made once at start (in the server, before any fork, so
// that every child shares the keys that protect session tickets): TLS 1.3 only, this
// side's certificate and key, and the peer's certificate required and checked against
// the CA. A client's context also keeps the last session the server offered, so that a
// new connection resumes it instead of doing the whole handshake again.
class Context {
 public:
  enum class Side { kServer, kClient };

  // Throws TlsError naming the file OpenSSL could not use and why.
  Context(Side side, const Credentials& credentials);
  ~Context() = default;
  // Neither copied nor moved: OpenSSL's callbacks find the Context by its address.
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  SSL_CTX* get() const { return context_.get(); }

  // Client side: the session to offer for resumption, or nullptr.
  SSL_SESSION* resumable_session() const { return resumable_.get(); }

 private:
  static int keep_session(SSL* ssl, SSL_SESSION* session);

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)> resumable_{nullptr, &SSL_SESSION_free};
};

}  // namespace tp0::tls
