#include "bench/agency_tls.h"

#include <fcntl.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>

#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "common/tls/errors.h"
#include "common/tls/session.h"

namespace tp0::bench {
namespace {

using tls::Ssl;
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
  if (certificate == nullptr)
    throw tls::TlsError("load the certificate " + path + ": " + tls::openssl_reasons());
  return {certificate, &X509_free};
}

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
  check(SSL_CTX_load_verify_locations(context, authority.c_str(), nullptr),
        "load the CA certificate " + authority);
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
  const bool resumed = tls::connect_with(connection, std::move(ssl), host, identity.session.get());
  ++(resumed ? resumed_handshakes_ : full_handshakes_);
}

void AgencyTls::release(std::uint32_t agency) { identities_.at(agency - 1) = Identity{}; }

}  // namespace tp0::bench
