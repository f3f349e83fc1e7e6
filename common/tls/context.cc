#include "common/tls/context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/tls/errors.h"

namespace tp0::tls {
namespace {

// Resumed sessions are bound to this: OpenSSL refuses to resume one whose peer was
// verified unless the server names a context.
constexpr unsigned char kSessionContext[] = "tp0-lottery";
constexpr long kTicketLifetimeSeconds = 300;
// The largest certificate chain a peer may send, in bytes: a chain made by make-certs.sh
// (a leaf and its CA, under 500 bytes each) fits eighteen times over, where OpenSSL's
// default lets a stranger have 100 KiB parsed before anything is verified.
constexpr long kMaxCertificateList = 16L * 1024;
// The peer's certificate is signed by the CA itself: no intermediate (OpenSSL's default
// verifies chains of up to 100).
constexpr int kVerifyDepth = 0;

void check(long ok, const std::string& doing) {
  if (ok != 1) throw TlsError(doing + ": " + openssl_reasons());
}

// Fetches, once, the algorithms that a server's first TLS 1.3 handshake with bin/client
// would fetch (traced in a sequential server): OpenSSL 3.0 builds each on its first use
// and keeps it in a cache of the process, so without this every child of a process
// server built them again and lost them at its exit, 9% of the server's CPU in a round.
// Failures do not matter: a child fetches what is missing itself.
void fetch_handshake_algorithms() {
  EVP_KEYEXCH_free(EVP_KEYEXCH_fetch(nullptr, "X25519", nullptr));
  EVP_KDF_free(EVP_KDF_fetch(nullptr, "TLS13-KDF", nullptr));
  EVP_MAC_free(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  EVP_KEYMGMT_free(EVP_KEYMGMT_fetch(nullptr, "HMAC", nullptr));
  EVP_SIGNATURE_free(EVP_SIGNATURE_fetch(nullptr, "HMAC", nullptr));
  ERR_clear_error();
}

// Whether one of the CAs in `store` signed `list`: a list of another CA would make the CRL
// check refuse every client ("unable to get certificate CRL").
bool signed_by_authority(X509_STORE* store, X509_CRL* list) {
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int index = 0; index < sk_X509_OBJECT_num(objects); ++index) {
    X509* authority = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, index));
    if (authority != nullptr && X509_CRL_verify(list, X509_get0_pubkey(authority)) == 1) return true;
  }
  ERR_clear_error();
  return false;
}

// A resumed session is not verified again: a ticket whose certificate is revoked is set
// aside instead, so that its client does a whole handshake and meets the same CRL check, and
// the same refusal, as on a first connection. Other statuses keep OpenSSL's own answers.
SSL_TICKET_RETURN use_unless_revoked(SSL* /*ssl*/, SSL_SESSION* session, const unsigned char* /*name*/,
                                     size_t /*name_length*/, SSL_TICKET_STATUS status, void* list) {
  if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW)
    return SSL_TICKET_RETURN_IGNORE_RENEW;
  X509_REVOKED* entry = nullptr;
  X509* peer = SSL_SESSION_get0_peer(session);
  if (peer == nullptr || X509_CRL_get0_by_cert(static_cast<X509_CRL*>(list), &entry, peer) == 1) {
    return SSL_TICKET_RETURN_IGNORE;
  }
  return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
}

}  // namespace

Context::Context(Side side, const Credentials& credentials)
    : context_(SSL_CTX_new(side == Side::kServer ? TLS_server_method() : TLS_client_method()),
               &SSL_CTX_free) {
  if (!context_) throw TlsError("make a TLS context: " + openssl_reasons());
  SSL_CTX* context = context_.get();
  check(SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION), "require TLS 1.3");
  check(SSL_CTX_use_certificate_chain_file(context, credentials.certificate.c_str()),
        "load the certificate " + credentials.certificate);
  check(SSL_CTX_use_PrivateKey_file(context, credentials.key.c_str(), SSL_FILETYPE_PEM),
        "load the private key " + credentials.key);
  check(SSL_CTX_check_private_key(context),
        "the private key " + credentials.key + " does not match " + credentials.certificate);
  check(SSL_CTX_load_verify_locations(context, credentials.authority.c_str(), nullptr),
        "load the CA certificate " + credentials.authority);
  SSL_CTX_set_max_cert_list(context, kMaxCertificateList);
  SSL_CTX_set_verify_depth(context, kVerifyDepth);
  // What the peer's certificate must be for (its extended key usage): OpenSSL would pick the
  // same by itself; set here, it is in sight.
  check(
      SSL_CTX_set_purpose(context, side == Side::kServer ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER),
      "set the purpose of the peer's certificate");
  if (!credentials.revocations.empty()) refuse_revoked(credentials.revocations);
  // A peer that closes without close_notify ends the stream like any other close: the
  // frames say whether a message was cut short.
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // OpenSSL reads exactly one record at a time (no read-ahead), so nothing after a
  // session's end is consumed by it: the bare socket can be handed over.
  SSL_CTX_set_read_ahead(context, 0);
  if (side == Side::kServer) {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    check(SSL_CTX_set_session_id_context(context, kSessionContext, sizeof kSessionContext - 1),
          "name the session context");
    // A ticket resumes a session without checking its certificate again: it is good for
    // the minutes a round needs between two connections of an agency, not OpenSSL's two
    // hours, so that an expired certificate stops working soon after.
    SSL_CTX_set_timeout(context, kTicketLifetimeSeconds);
    // No ticket by itself: accept() asks for one after a whole handshake only (see there).
    check(SSL_CTX_set_num_tickets(context, 0), "stop the automatic session tickets");
    fetch_handshake_algorithms();
  } else {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_set_app_data(context, this);
    SSL_CTX_sess_set_new_cb(context, &Context::keep_session);
  }
}

void Context::refuse_revoked(const std::string& path) {
  SSL_CTX* context = context_.get();
  const std::string doing = "load the revocation list " + path;
  const std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (!file) throw TlsError(doing + ": " + openssl_reasons());
  revoked_.reset(PEM_read_bio_X509_CRL(file.get(), nullptr, nullptr, nullptr));
  if (!revoked_) throw TlsError(doing + ": not a PEM revocation list: " + openssl_reasons());
  if (!signed_by_authority(SSL_CTX_get_cert_store(context), revoked_.get())) {
    throw TlsError(doing + ": not signed by the CA");
  }
  const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(revoked_.get());
  if (next_update != nullptr && X509_cmp_current_time(next_update) <= 0) {
    throw TlsError(doing + ": out of date (make it again: scripts/make-certs.sh --revoke)");
  }
  check(X509_STORE_add_crl(SSL_CTX_get_cert_store(context), revoked_.get()), doing);
  // The leaf's issuer only: the CA itself is the trust anchor.
  check(X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context), X509_V_FLAG_CRL_CHECK), doing);
  check(SSL_CTX_set_session_ticket_cb(context, nullptr, &use_unless_revoked, revoked_.get()), doing);
}

int Context::keep_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<Context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  self->resumable_.reset(session);
  return 1;  // the context now owns the reference it was given
}

}  // namespace tp0::tls
