#pragma once

#include <stdexcept>
#include <string>

namespace tp0::tls {

// TLS refused the peer or this side: a certificate missing, untrusted, expired or naming
// no agency, a peer that does not speak TLS 1.3, a file OpenSSL cannot use. Unlike a
// NetError it is not worth trying again. what() names the peer (or the file) and
// OpenSSL's reason.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// OpenSSL's reasons for the last failure, from its error queue (which this empties),
// innermost first, joined by "; ". Empty when the queue holds none.
std::string openssl_reasons();

}  // namespace tp0::tls
