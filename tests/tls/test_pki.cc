#include "tests/tls/test_pki.h"

#include <chrono>
#include <filesystem>
#include <utility>

namespace tp0::testing {
namespace {

// The scripts make a few certificates in seconds; a minute means they hang.
constexpr std::chrono::minutes kScriptTimeout{1};

}  // namespace

TestPki::TestPki(std::string dir, const std::vector<std::uint32_t>& agencies, std::uint32_t bad_agency)
    : dir_(std::move(dir)), bad_agency_(bad_agency) {
  std::vector<std::string> arguments{dir_};
  for (const std::uint32_t id : agencies) arguments.push_back(std::to_string(id));
  // One id alone would be read as a count: naming it twice names it once.
  if (agencies.size() == 1) arguments.push_back(arguments.back());
  const std::string source = TP0_SOURCE_DIR;
  const std::string parent = std::filesystem::path(dir_).parent_path();
  arguments.insert(arguments.begin(), source + "/scripts/make-certs.sh");
  run_to_completion("/bin/bash", arguments, parent, dir_ + ".make-certs.log", kScriptTimeout);
  run_to_completion("/bin/bash",
                    {source + "/tests/support/make-bad-certs.sh", dir_, std::to_string(bad_agency_)}, parent,
                    dir_ + ".make-bad-certs.log", kScriptTimeout);
}

tls::Credentials TestPki::server() const { return credentials_in(dir_ + "/server", "server"); }

tls::Credentials TestPki::server_with_revocations() const {
  tls::Credentials credentials = server();
  credentials.revocations = dir_ + "/server/crl.pem";
  return credentials;
}

void TestPki::revoke(std::uint32_t id) const {
  run_to_completion(
      "/bin/bash",
      {std::string(TP0_SOURCE_DIR) + "/scripts/make-certs.sh", "--revoke", dir_, std::to_string(id)},
      std::filesystem::path(dir_).parent_path(), dir_ + ".revoke.log", kScriptTimeout);
}

tls::Credentials TestPki::agency(std::uint32_t id) const {
  return credentials_in(dir_ + "/agency-" + std::to_string(id), "agency");
}

tls::Credentials TestPki::expired_agency() const {
  return credentials_in(dir_ + "/bad/expired-agency-" + std::to_string(bad_agency_), "agency");
}

tls::Credentials TestPki::untrusted_agency() const {
  return credentials_in(dir_ + "/bad/untrusted-agency-" + std::to_string(bad_agency_), "agency");
}

tls::Credentials TestPki::untrusted_server() const {
  return credentials_in(dir_ + "/bad/untrusted-server", "server");
}

tls::Credentials TestPki::wrong_name_server() const {
  return credentials_in(dir_ + "/bad/wrong-name-server", "server");
}

tls::Credentials credentials_in(const std::string& folder, const std::string& name) {
  return {folder + "/" + name + ".crt", folder + "/" + name + ".key", folder + "/ca.crt"};
}

Environment server_tls_environment(const tls::Credentials& credentials) {
  return {{"SERVER_TLS_CERT", credentials.certificate},
          {"SERVER_TLS_KEY", credentials.key},
          {"SERVER_TLS_CA", credentials.authority}};
}

Environment client_tls_environment(const tls::Credentials& credentials) {
  return {{"CLI_TLS_CERT", credentials.certificate},
          {"CLI_TLS_KEY", credentials.key},
          {"CLI_TLS_CA", credentials.authority}};
}

}  // namespace tp0::testing
