#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tp0::testing {

// Makes the certificates of a round's mutual TLS in `dir` (created if missing), in the
// layout of scripts/make-certs.sh, with the OpenSSL library instead of one openssl
// command per file, so that the ten thousand agencies of the benchmark take seconds:
//   dir/ca.crt, dir/ca/ca.key     the CA: subject O=TP0, CN=TP0 lottery CA (10 years)
//   dir/server/                   server.crt, server.key, ca.crt: CN server, names
//                                 DNS:server, DNS:localhost and IP:127.0.0.1, serverAuth
//   dir/agency-<id>/              agency.crt, agency.key, ca.crt: CN agency-<id>, clientAuth
// Leaf certificates last 2 years; keys are ECDSA P-256, signatures SHA-256, key files mode
// 0600 and each folder's ca.crt a copy of dir/ca.crt.
//
// What is there already is left alone, byte for byte: an existing CA signs the folders
// that are missing, and an existing server or agency folder is kept, so a caller that
// asks again for the same agencies pays only for the check. Each folder is made aside
// and renamed into place, whole or not at all; callers on one `dir` take turns (flock).
// Any id may be asked for, 0 included (a test may want a certificate for a non-member).
//
// Throws std::runtime_error naming the file or step and OpenSSL's reason: `dir` holds
// certificates but no CA to sign more, a folder lacks one of its files, a CA key that is
// not its certificate's, a file that cannot be written.
void make_certificates(const std::string& dir, std::span<const std::uint32_t> agencies);

}  // namespace tp0::testing
