#pragma once

#include <string>

namespace tp0::tls {

// Where one side's TLS credentials are (PEM files): its certificate and private key, the
// certificate of the CA that must have signed the peer's, and (the server's only) that CA's
// revocation list, empty when none is revoked.
struct Credentials {
  std::string certificate;
  std::string key;
  std::string authority;
  std::string revocations = {};
  bool operator==(const Credentials&) const = default;
};

}  // namespace tp0::tls
