#include "tests/tls/ssl_end.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "common/protocol/frame.h"

namespace tp0::testing {

std::string ssl_reasons() {
  std::string reasons;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  return reasons;
}

SslContext::SslContext(SslRole role, const std::optional<tls::Credentials>& identity,
                       const std::string& authority)
    : context_(SSL_CTX_new(role == SslRole::kServer ? TLS_server_method() : TLS_client_method()),
               &SSL_CTX_free) {
  SSL_CTX* context = context_.get();
  if (context == nullptr || SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) != 1) {
    throw std::runtime_error("test TLS context: " + ssl_reasons());
  }
  if (identity) {
    if (SSL_CTX_use_certificate_chain_file(context, identity->certificate.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(context, identity->key.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("test TLS context: " + identity->certificate + ": " + ssl_reasons());
    }
  }
  if (role == SslRole::kClient) {
    if (SSL_CTX_load_verify_locations(context, authority.c_str(), nullptr) != 1) {
      throw std::runtime_error("test TLS context: " + authority + ": " + ssl_reasons());
    }
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  }
}

void bound_waits(int fd) {
  const timeval patience{static_cast<time_t>(kSslPatience.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
}

sys::UniqueFd connect_to_loopback(std::uint16_t port) {
  sys::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  bound_waits(fd.get());
  return fd;
}

SslEnd::SslEnd(sys::UniqueFd fd, SSL_CTX* context, SslRole role)
    : fd_(std::move(fd)), ssl_(SSL_new(context), &SSL_free) {
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1)
    throw std::runtime_error("test TLS end: " + ssl_reasons());
  if (role == SslRole::kServer) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
}

void SslEnd::offer(SSL_SESSION* session) {
  if (session != nullptr) SSL_set_session(ssl_.get(), session);
}

void SslEnd::failed(int result, const char* doing) {
  const int error = SSL_get_error(ssl_.get(), result);
  const int saved_errno = errno;
  std::string reasons = ssl_reasons();
  if (error == SSL_ERROR_ZERO_RETURN) {
    close_notify_ = true;
    error_ = std::string(doing) + ": the peer sent close_notify";
  } else if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    error_ = std::string(doing) + ": no answer within " + std::to_string(kSslPatience.count()) + " s";
  } else if (error == SSL_ERROR_SYSCALL) {
    error_ = std::string(doing) + ": " +
             (saved_errno == 0 ? "the peer closed the connection" : std::strerror(saved_errno));
  } else {
    error_ = std::string(doing) + ": " + reasons;
  }
  const long verdict = SSL_get_verify_result(ssl_.get());
  if (verdict != X509_V_OK) error_ += std::string(" (") + X509_verify_cert_error_string(verdict) + ")";
}

bool SslEnd::handshake() {
  int result = SSL_do_handshake(ssl_.get());
  // As tls::accept does: the server's context sends no ticket by itself, one is asked
  // for after a whole handshake.
  if (result == 1 && SSL_is_server(ssl_.get()) == 1 && SSL_session_reused(ssl_.get()) == 0 &&
      SSL_new_session_ticket(ssl_.get()) == 1) {
    result = SSL_do_handshake(ssl_.get());
  }
  if (result == 1) return true;
  failed(result, "handshake");
  return false;
}

bool SslEnd::write(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    std::size_t written = 0;
    const int result = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written);
    if (result != 1) {
      failed(result, "write");
      return false;
    }
    bytes = bytes.subspan(written);
  }
  return true;
}

bool SslEnd::send(const protocol::Message& message) {
  std::vector<std::byte> frame;
  protocol::encode(message, frame);
  return write(frame);
}

std::size_t SslEnd::read_some(std::span<std::byte> out) {
  std::size_t received = 0;
  const int result = SSL_read_ex(ssl_.get(), out.data(), out.size(), &received);
  if (result == 1) return received;
  failed(result, "read");
  return 0;
}

bool SslEnd::read_exactly(std::span<std::byte> out) {
  while (!out.empty()) {
    const std::size_t received = read_some(out);
    if (received == 0) return false;
    out = out.subspan(received);
  }
  return true;
}

std::optional<protocol::Message> SslEnd::receive() {
  std::byte header[protocol::kFrameHeaderBytes];
  if (!read_exactly(header)) return std::nullopt;
  std::size_t length = 0;
  for (const std::byte byte : header) length = (length << 8) | std::to_integer<std::size_t>(byte);
  if (length == 0 || length > protocol::kMaxBodyBytes) {
    error_ = "receive: a frame of " + std::to_string(length) + " bytes";
    return std::nullopt;
  }
  std::vector<std::byte> body(length);
  if (!read_exactly(body)) return std::nullopt;
  try {
    return protocol::decode(body);
  } catch (const protocol::ProtocolError& refused) {
    error_ = std::string("receive: ") + refused.what();
    return std::nullopt;
  }
}

void SslEnd::say_goodbye() {
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

std::vector<std::byte> client_hello(SSL_CTX* context) {
  const std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context), &SSL_free);
  BIO* from_server = BIO_new(BIO_s_mem());
  BIO* to_server = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), from_server, to_server);  // the SSL owns both from here
  SSL_set_connect_state(ssl.get());
  if (SSL_get_error(ssl.get(), SSL_do_handshake(ssl.get())) != SSL_ERROR_WANT_READ) {
    throw std::runtime_error("client_hello: the handshake did not wait for the ServerHello: " +
                             ssl_reasons());
  }
  char* bytes = nullptr;
  const long length = BIO_get_mem_data(to_server, &bytes);
  const auto* first = reinterpret_cast<const std::byte*>(bytes);
  return {first, first + length};
}

}  // namespace tp0::testing
