#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/protocol/messages.h"
#include "common/sys/unique_fd.h"
#include "common/tls/credentials.h"

namespace tp0::testing {

// A test's own end of a TLS connection: plain, blocking OpenSSL, outside the code under
// test, so that it can show any certificate or none, and report exactly what it got.
// Every wait is bounded by kSslPatience (SO_RCVTIMEO, SO_SNDTIMEO): a peer that hangs
// fails the test instead of hanging it.
inline constexpr std::chrono::seconds kSslPatience{20};

enum class SslRole { kClient, kServer };

// An SSL_CTX of the test's own, TLS 1.3 only. A client shows `identity` if given (none
// otherwise) and checks the server's chain against `authority`, not its name (the code
// under test is the one that must). A server shows `identity` and asks for no client
// certificate. Throws std::runtime_error naming the file OpenSSL refused.
class SslContext {
 public:
  SslContext(SslRole role, const std::optional<tls::Credentials>& identity, const std::string& authority);
  SSL_CTX* get() const { return context_.get(); }

 private:
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
};

// One TLS connection over a connected stream socket, on `context` (the test's own or one
// of the project's: tls::Context::get()), which the connection keeps a reference to.
// Failures are return values, with error() saying why: what a refused peer sees is what
// the tests assert.
class SslEnd {
 public:
  SslEnd(sys::UniqueFd fd, SSL_CTX* context, SslRole role);
  ~SslEnd() = default;
  SslEnd(SslEnd&&) noexcept = default;
  SslEnd& operator=(SslEnd&&) noexcept = default;
  SslEnd(const SslEnd&) = delete;
  SslEnd& operator=(const SslEnd&) = delete;

  // Client: offers `session` for resumption; call before handshake().
  void offer(SSL_SESSION* session);
  // False when the handshake failed.
  bool handshake();
  // Whether the handshake resumed an earlier session instead of doing a full one.
  bool resumed() const { return SSL_session_reused(ssl_.get()) == 1; }

  // Sends every byte; false on failure.
  bool write(std::span<const std::byte> bytes);
  bool send(const protocol::Message& message);
  // Application data: how many bytes, or 0 when the stream ended (ended_by_close_notify()
  // says how) or failed (error()).
  std::size_t read_some(std::span<std::byte> out);
  // The next whole message; nullopt when the stream ended or failed before one arrived.
  std::optional<protocol::Message> receive();
  // Sends close_notify, without waiting for the peer's.
  void say_goodbye();

  // True once a read met the peer's close_notify (SSL_ERROR_ZERO_RETURN), not a bare close
  // or a reset.
  bool ended_by_close_notify() const { return close_notify_; }
  // Why the last operation that failed did: OpenSSL's reasons, or the system's.
  const std::string& error() const { return error_; }
  int fd() const { return fd_.get(); }
  SSL* ssl() const { return ssl_.get(); }

 private:
  // Records why `result` of an SSL_* call failed.
  void failed(int result, const char* doing);
  bool read_exactly(std::span<std::byte> out);

  sys::UniqueFd fd_;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
  std::string error_;
  bool close_notify_ = false;
};

// A blocking TCP connection to 127.0.0.1:`port`, its waits bounded by kSslPatience.
// Throws std::runtime_error.
sys::UniqueFd connect_to_loopback(std::uint16_t port);

// Bounds every wait on `fd` by kSslPatience.
void bound_waits(int fd);

// OpenSSL's error queue, emptied, as "reason; reason" (the test's own reading of it).
std::string ssl_reasons();

// The first flight of a client on `context`, its ClientHello, as it would send it: made
// in memory, for a test to deliver as it pleases. Throws std::runtime_error.
std::vector<std::byte> client_hello(SSL_CTX* context);

}  // namespace tp0::testing
