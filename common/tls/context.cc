#include "common/tls/context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common/tls/errors.h"

namespace tp0::tls {
namespace {

// Resumed sessions are bound to this: OpenSSL refuses to resume one whose peer was
// verified unless the server names a context.
constexpr unsigned char kSessionContext[] = "tp0-lottery";
constexpr long kTicketLifetimeSeconds = 300;

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

int Context::keep_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<Context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  self->resumable_.reset(session);
  return 1;  // the context now owns the reference it was given
}

}  // namespace tp0::tls
