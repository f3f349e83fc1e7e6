#include "common/tls/errors.h"

#include <openssl/err.h>

namespace tp0::tls {

std::string openssl_reasons() {
  std::string reasons;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    if (!reasons.empty()) reasons += "; ";
    reasons += reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
  }
  return reasons;
}

}  // namespace tp0::tls
