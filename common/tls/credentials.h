#pragma once

#include <string>

namespace tp0::tls {

// Where one side's TLS credentials are (PEM files): its certificate and private key, and
// the certificate of the CA that must have signed the peer's.
struct Credentials {
  std::string certificate;
  std::string key;
  std::string authority;
  bool operator==(const Credentials&) const = default;
};

}  // namespace tp0::tls
