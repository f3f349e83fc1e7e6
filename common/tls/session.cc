#include "common/tls/session.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/net/errors.h"
#include "common/text/decimal.h"
#include "common/tls/errors.h"

namespace tp0::tls {
namespace {

// What to do after an SSL_* call on a non-blocking socket returned `result`: wait for
// the socket (the Attempt), or throw: NetError when the connection itself broke
// (ConnectionReset when the peer reset it), PeerClosed when the peer closed it, TlsError
// for anything TLS refused.
net::Transport::Attempt after_failure(SSL* ssl, int result, const std::string& doing,
                                      const std::string& peer) {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return {0, POLLIN};
    case SSL_ERROR_WANT_WRITE:
      return {0, POLLOUT};
    case SSL_ERROR_ZERO_RETURN:
      // The peer closed, during the handshake too (SSL_OP_IGNORE_UNEXPECTED_EOF reads a
      // bare close as a close_notify): a lost connection, as a server at its limit of
      // children closes one, not a refusal.
      ERR_clear_error();
      throw net::PeerClosed(doing + " " + peer + ": the peer closed the connection");
    case SSL_ERROR_SYSCALL: {
      const int error = errno;
      ERR_clear_error();
      if (error == 0) throw net::PeerClosed(doing + " " + peer + ": the peer closed the connection");
      if (error == ECONNRESET) throw net::ConnectionReset(doing + " " + peer + ": connection reset by peer");
      throw net::NetError(doing + " " + peer + ": " + std::strerror(error));
    }
    default: {
      // OpenSSL's error queue, and the certificate check's verdict when there was one
      // ("certificate has expired").
      std::string reason = doing + " " + peer + ": " + openssl_reasons();
      const long verdict = SSL_get_verify_result(ssl);
      if (verdict != X509_V_OK) reason += std::string(" (") + X509_verify_cert_error_string(verdict) + ")";
      throw TlsError(reason);
    }
  }
}

// A TLS session over a connection's socket, once its handshake is done.
class Session final : public net::Transport {
 public:
  explicit Session(Ssl ssl) : ssl_(std::move(ssl)) {}

  Attempt send(int /*fd*/, std::span<const std::byte> data, const std::string& peer) override {
    std::size_t sent = 0;
    const int result = SSL_write_ex(ssl_.get(), data.data(), data.size(), &sent);
    if (result == 1) return {sent, 0};
    return after_failure(ssl_.get(), result, "send to", peer);
  }

  Attempt receive(int /*fd*/, std::span<std::byte> out, const std::string& peer) override {
    std::size_t received = 0;
    const int result = SSL_read_ex(ssl_.get(), out.data(), out.size(), &received);
    if (result == 1) return {received, 0};
    const int error = SSL_get_error(ssl_.get(), result);
    // The peer's close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a close without one.
    if (error == SSL_ERROR_ZERO_RETURN) return {0, 0};
    // A reset is ConnectionReset, as on a plain socket.
    return after_failure(ssl_.get(), result, "receive from", peer);
  }

  // Ours sent (SSL_shutdown returns 0), then the peer's awaited (it returns 1).
  Attempt finish(int /*fd*/, const std::string& peer) override {
    const int result = SSL_shutdown(ssl_.get());
    if (result == 1) return {1, 0};
    if (result == 0) return {0, POLLIN};
    return after_failure(ssl_.get(), result, "end the TLS session with", peer);
  }

  void say_goodbye(int /*fd*/) noexcept override {
    // One attempt: a socket whose buffer is full gets no close_notify rather than a wait.
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }

 private:
  Ssl ssl_;
};

// Puts `ssl` on the connection's socket, which becomes non-blocking: OpenSSL reads and
// writes the descriptor itself, and must return instead of waiting.
void attach(net::Connection& connection, SSL* ssl) {
  const int flags = ::fcntl(connection.fd(), F_GETFL);
  if (flags == -1 || ::fcntl(connection.fd(), F_SETFL, flags | O_NONBLOCK) == -1) {
    throw net::NetError("start TLS with " + connection.peer() + ": " + std::strerror(errno));
  }
  if (SSL_set_fd(ssl, connection.fd()) != 1) {
    throw TlsError("start TLS with " + connection.peer() + ": " + openssl_reasons());
  }
}

// Runs SSL_do_handshake until it has nothing left to do: the handshake itself, or a
// session ticket asked for after it.
void drive_handshake(net::Connection& connection, SSL* ssl) {
  static constexpr const char* kDoing = "TLS handshake with";
  connection.until_done(kDoing, [&] {
    const int result = SSL_do_handshake(ssl);
    return result == 1 ? net::Transport::Attempt{1, 0}
                       : after_failure(ssl, result, kDoing, connection.peer());
  });
}

// Whether the peer has shut its sending side: its FIN has arrived, whatever it sent
// before it. Such a client can never send its Finished, so no handshake with it ends.
bool peer_has_shut_down(const net::Connection& connection) {
  pollfd watched{connection.fd(), POLLRDHUP, 0};
  return ::poll(&watched, 1, 0) == 1 && (watched.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

// The subject's common name, whole, when the subject has exactly one; nullopt otherwise
// (none, or two that would leave the agency to the order of their reading).
std::optional<std::string> only_common_name(const X509* certificate) {
  const X509_NAME* subject = X509_get_subject_name(certificate);
  const int first = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (first < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, first) >= 0) return std::nullopt;
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, first));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

std::uint32_t agency_of_peer(SSL* ssl, const std::string& peer) {
  // Never null after a handshake that required the certificate (on resumption too: the
  // session keeps it).
  const X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) throw TlsError("TLS handshake with " + peer + ": no client certificate");
  const auto common_name = only_common_name(certificate);
  if (!common_name) {
    throw TlsError("TLS handshake with " + peer +
                   ": the client certificate's subject has no single common name");
  }
  const auto agency = agency_named(*common_name);
  if (!agency) {
    // Only what identifies: the name's bytes may be anything its issuer wrote.
    throw TlsError("TLS handshake with " + peer + ": the client certificate names no agency (agency-<id>)");
  }
  return *agency;
}

}  // namespace

std::optional<std::uint32_t> agency_named(const std::string& common_name) {
  static constexpr std::string_view kPrefix = "agency-";
  if (common_name.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  const std::string_view digits = std::string_view(common_name).substr(kPrefix.size());
  const auto agency = text::parse_decimal<std::uint32_t>(digits);
  // One spelling per agency, as make-certs.sh writes it: no leading zeros.
  if (!agency || std::to_string(*agency) != digits) return std::nullopt;
  return agency;
}

std::uint32_t accept(net::Connection& connection, const Context& context) {
  // A client that gave up while its connection waited to be accepted (a sequential
  // server busy with the others) left its ClientHello behind: answering it would cost a
  // signature and a key exchange, then meet the close. Under a long queue of such
  // connections, that waste is what would make the queue longer still.
  if (peer_has_shut_down(connection)) {
    throw net::PeerClosed("TLS handshake with " + connection.peer() + ": the peer left before its turn");
  }
  Ssl ssl(SSL_new(context.get()), &SSL_free);
  if (!ssl) throw TlsError("start TLS with " + connection.peer() + ": " + openssl_reasons());
  attach(connection, ssl.get());
  SSL_set_accept_state(ssl.get());
  drive_handshake(connection, ssl.get());
  // One session ticket, and only for a new session: OpenSSL would send two after every
  // handshake, and OpenSSL 3.0 parses the session back, the client's certificate with it,
  // to build each one (a sixth of the server's CPU in a round), while a client keeps only
  // the last, and one that resumed holds a ticket that still works. Sent now, so that no
  // later step (a close_notify) finds it pending. Without a ticket the client's next
  // handshake is a whole one, nothing worse.
  if (SSL_session_reused(ssl.get()) == 0) {
    if (SSL_new_session_ticket(ssl.get()) == 1) {
      drive_handshake(connection, ssl.get());
    } else {
      ERR_clear_error();
    }
  }
  const std::uint32_t agency = agency_of_peer(ssl.get(), connection.peer());
  connection.secure_with(std::make_unique<Session>(std::move(ssl)));
  return agency;
}

void connect(net::Connection& connection, Context& context, const std::string& host) {
  Ssl ssl(SSL_new(context.get()), &SSL_free);
  if (!ssl) throw TlsError("start TLS with " + connection.peer() + ": " + openssl_reasons());
  connect_with(connection, std::move(ssl), host, context.resumable_session());
}

bool connect_with(net::Connection& connection, Ssl ssl, const std::string& host, SSL_SESSION* resumable) {
  attach(connection, ssl.get());
  SSL_set_connect_state(ssl.get());
  in6_addr address{};
  const bool is_address =
      ::inet_pton(AF_INET, host.c_str(), &address) == 1 || ::inet_pton(AF_INET6, host.c_str(), &address) == 1;
  const bool named = is_address ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host.c_str()) == 1
                                : SSL_set1_host(ssl.get(), host.c_str()) == 1 &&
                                      SSL_set_tlsext_host_name(ssl.get(), host.c_str()) == 1;
  if (!named) throw TlsError("TLS with " + host + ": cannot check the server's name: " + openssl_reasons());
  if (resumable != nullptr) SSL_set_session(ssl.get(), resumable);
  drive_handshake(connection, ssl.get());
  const bool resumed = SSL_session_reused(ssl.get()) == 1;
  connection.secure_with(std::make_unique<Session>(std::move(ssl)));
  return resumed;
}

}  // namespace tp0::tls
