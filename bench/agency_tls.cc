#include "bench/agency_tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "common/net/errors.h"
#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "common/tls/errors.h"

namespace tp0::bench {
namespace {

using Ssl = std::unique_ptr<SSL, decltype(&SSL_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Decoder = std::unique_ptr<OSSL_DECODER_CTX, decltype(&OSSL_DECODER_CTX_free)>;

std::string read_whole(const std::string& path) {
  const sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw tls::TlsError("open " + path + ": " + std::strerror(errno));
  try {
    return sys::read_all(fd.get(), "read " + path);
  } catch (const std::system_error& error) {
    throw tls::TlsError(error.what());
  }
}

// A PKCS #8 P-256 key, as make-certs writes them: naming the format, structure and type
// spares OpenSSL 3.0 trying every decoder it has, which took 0.9 ms a key.
std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> read_key(const std::string& path) {
  const std::string pem = read_whole(path);
  EVP_PKEY* key = nullptr;
  const Decoder decoder(OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", "PrivateKeyInfo", "EC",
                                                      OSSL_KEYMGMT_SELECT_KEYPAIR, nullptr, nullptr),
                        &OSSL_DECODER_CTX_free);
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t left = pem.size();
  if (!decoder || OSSL_DECODER_from_data(decoder.get(), &data, &left) != 1 || key == nullptr) {
    EVP_PKEY_free(key);
    throw tls::TlsError("load the private key " + path + ": " + tls::openssl_reasons());
  }
  return {key, &EVP_PKEY_free};
}

std::unique_ptr<X509, decltype(&X509_free)> read_certificate(const std::string& path) {
  const std::string pem = read_whole(path);
  const Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  X509* certificate = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (certificate == nullptr) throw tls::TlsError("load the certificate " + path + ": " + tls::openssl_reasons());
  return {certificate, &X509_free};
}

// What to do after an SSL_* call failed, as common/tls decides it for bin/client.
net::Transport::Attempt after_failure(SSL* ssl, int result, const std::string& doing, const std::string& peer) {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return {0, POLLIN};
    case SSL_ERROR_WANT_WRITE:
      return {0, POLLOUT};
    // A close without close_notify reads as a clean one (SSL_OP_IGNORE_UNEXPECTED_EOF): in
    // a handshake it is a closed connection still, such as a busy server's refusal.
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      throw net::PeerClosed(doing + " " + peer + ": the peer closed the connection");
    case SSL_ERROR_SYSCALL: {
      const int error = errno;
      ERR_clear_error();
      if (error == 0) throw net::PeerClosed(doing + " " + peer + ": the peer closed the connection");
      throw net::NetError(doing + " " + peer + ": " + std::strerror(error));
    }
    default: {
      std::string reason = doing + " " + peer + ": " + tls::openssl_reasons();
      const long verdict = SSL_get_verify_result(ssl);
      if (verdict != X509_V_OK) reason += std::string(" (") + X509_verify_cert_error_string(verdict) + ")";
      throw tls::TlsError(reason);
    }
  }
}

// An agency's TLS session over its connection's socket, once the handshake is done: the
// transport of common/tls, which that library keeps to itself.
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
    if (error == SSL_ERROR_ZERO_RETURN) return {0, 0};
    if (error == SSL_ERROR_SYSCALL && errno == ECONNRESET) {
      ERR_clear_error();
      return {0, 0};
    }
    return after_failure(ssl_.get(), result, "receive from", peer);
  }

  Attempt finish(int /*fd*/, const std::string& peer) override {
    const int result = SSL_shutdown(ssl_.get());
    if (result == 1) return {1, 0};
    if (result == 0) return {0, POLLIN};
    return after_failure(ssl_.get(), result, "end the TLS session with", peer);
  }

  void say_goodbye(int /*fd*/) noexcept override {
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }

  bool secure() const override { return true; }

 private:
  Ssl ssl_;
};

// Called by OpenSSL, on the thread reading the connection, for each ticket the server
// sends: the agency keeps the last, as tls::Context does.
int keep_session(SSL* ssl, SSL_SESSION* session) {
  auto* identity = static_cast<AgencyTls::Identity*>(SSL_get_app_data(ssl));
  identity->session.reset(session);
  return 1;
}

void check(long ok, const std::string& doing) {
  if (ok != 1) throw tls::TlsError(doing + ": " + tls::openssl_reasons());
}

}  // namespace

AgencyTls::AgencyTls(std::string dir, std::uint32_t agencies)
    : dir_(std::move(dir)), context_(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free), identities_(agencies) {
  if (!context_) throw tls::TlsError("make a TLS context: " + tls::openssl_reasons());
  SSL_CTX* context = context_.get();
  // As common/tls's client context, but for the certificate, which each connection sets.
  check(SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION), "require TLS 1.3");
  const std::string authority = dir_ + "/ca.crt";
  check(SSL_CTX_load_verify_locations(context, authority.c_str(), nullptr), "load the CA certificate " + authority);
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_read_ahead(context, 0);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context, &keep_session);
}

AgencyTls::~AgencyTls() = default;

void AgencyTls::load(std::uint32_t agency) {
  const std::string folder = dir_ + "/agency-" + std::to_string(agency);
  Identity& identity = identities_.at(agency - 1);
  identity.certificate = read_certificate(folder + "/agency.crt");
  identity.key = read_key(folder + "/agency.key");
}

void AgencyTls::connect(net::Connection& connection, std::uint32_t agency, const std::string& host) {
  Identity& identity = identities_.at(agency - 1);
  Ssl ssl(SSL_new(context_.get()), &SSL_free);
  if (!ssl) throw tls::TlsError("start TLS with " + connection.peer() + ": " + tls::openssl_reasons());
  check(SSL_use_cert_and_key(ssl.get(), identity.certificate.get(), identity.key.get(), nullptr, 1),
        "use the certificate of agency " + std::to_string(agency));
  SSL_set_app_data(ssl.get(), &identity);
  const int flags = ::fcntl(connection.fd(), F_GETFL);
  if (flags == -1 || ::fcntl(connection.fd(), F_SETFL, flags | O_NONBLOCK) == -1) {
    throw net::NetError("start TLS with " + connection.peer() + ": " + std::strerror(errno));
  }
  check(SSL_set_fd(ssl.get(), connection.fd()), "start TLS with " + connection.peer());
  SSL_set_connect_state(ssl.get());
  in6_addr address{};
  const bool is_address =
      ::inet_pton(AF_INET, host.c_str(), &address) == 1 || ::inet_pton(AF_INET6, host.c_str(), &address) == 1;
  const bool named = is_address ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host.c_str()) == 1
                                : SSL_set1_host(ssl.get(), host.c_str()) == 1 &&
                                      SSL_set_tlsext_host_name(ssl.get(), host.c_str()) == 1;
  check(named ? 1 : 0, "check the server's name " + host);
  if (identity.session) SSL_set_session(ssl.get(), identity.session.get());
  while (true) {
    const int result = SSL_do_handshake(ssl.get());
    if (result == 1) break;
    connection.wait(after_failure(ssl.get(), result, "TLS handshake with", connection.peer()).wait_for,
                    "TLS handshake with");
  }
  ++(SSL_session_reused(ssl.get()) == 1 ? resumed_handshakes_ : full_handshakes_);
  connection.secure_with(std::make_unique<Session>(std::move(ssl)));
}

void AgencyTls::release(std::uint32_t agency) { identities_.at(agency - 1) = Identity{}; }

}  // namespace tp0::bench
