#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/tls/credentials.h"
#include "tests/support/process.h"

namespace tp0::testing {

// A round's certificates for one test, made in `dir` by scripts/make-certs.sh, and beside
// them the wrong ones tests/support/make-bad-certs.sh makes under dir/bad/ for agency
// `bad_agency`: expired, signed by another CA, a fake server's. Only paths: which party
// shows which certificate is each test's choice.
//
// The other way the tests make a round's certificates, make_certificates()
// (tests/support/certificates.h), is the same layout made in-process, fast enough for
// every Cluster and the benchmark's thousands of agencies. This one runs the operator's
// script itself, so that the tests using it prove that what make-certs.sh writes is what
// the programs accept, and it has the wrong certificates only make-bad-certs.sh makes.
class TestPki {
 public:
  // Runs both scripts. Throws std::runtime_error with a script's output when one fails.
  TestPki(std::string dir, const std::vector<std::uint32_t>& agencies, std::uint32_t bad_agency = 1);

  const std::string& dir() const { return dir_; }
  // The round's CA, which every honest party trusts.
  std::string authority() const { return dir_ + "/ca.crt"; }

  tls::Credentials server() const;
  // The server's credentials with the revocation list that revoke() writes in its folder.
  tls::Credentials server_with_revocations() const;
  // Runs make-certs.sh --revoke DIR `id`: agency `id`'s certificate joins the list.
  void revoke(std::uint32_t id) const;
  tls::Credentials agency(std::uint32_t id) const;
  // CN agency-<bad_agency>, signed by the round's CA, valid only in January 2020.
  tls::Credentials expired_agency() const;
  // CN agency-<bad_agency>, signed by a CA the round does not trust.
  tls::Credentials untrusted_agency() const;
  // The real server's names, signed by a CA the round does not trust.
  tls::Credentials untrusted_server() const;
  // Signed by the round's CA, naming only elsewhere.invalid.
  tls::Credentials wrong_name_server() const;

 private:
  std::string dir_;
  std::uint32_t bad_agency_;
};

// The credentials in `folder`, of scripts/make-certs.sh's layout: `name`.crt and
// `name`.key ("server" or "agency"), and ca.crt.
tls::Credentials credentials_in(const std::string& folder, const std::string& name);

// SERVER_TLS_CERT, SERVER_TLS_KEY and SERVER_TLS_CA naming `credentials`.
Environment server_tls_environment(const tls::Credentials& credentials);
// CLI_TLS_CERT, CLI_TLS_KEY and CLI_TLS_CA naming `credentials`.
Environment client_tls_environment(const tls::Credentials& credentials);

}  // namespace tp0::testing
