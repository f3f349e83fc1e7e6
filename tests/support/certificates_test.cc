#include "tests/support/certificates.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/tls/context.h"
#include "tests/support/process.h"

namespace tp0::testing {
namespace {

using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;
using Store = std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)>;
using StoreContext = std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)>;

Certificate load(const std::string& path) {
  const std::string pem = read_file(path);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  Certificate certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!certificate) throw std::runtime_error(path + " is not a certificate");
  return certificate;
}

std::string common_name(X509* certificate) {
  char name[256];
  const int length =
      X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
  return length < 0 ? "" : std::string(name, static_cast<std::size_t>(length));
}

// X509_verify_cert's verdict on `certificate` against the CA of `ca_path`, for `purpose`
// (X509_PURPOSE_SSL_SERVER, X509_PURPOSE_SSL_CLIENT): its error string, "ok" when it passes.
std::string verdict(const std::string& ca_path, X509* certificate, int purpose) {
  const Store store(X509_STORE_new(), &X509_STORE_free);
  const Certificate ca = load(ca_path);
  X509_STORE_add_cert(store.get(), ca.get());
  const StoreContext context(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  X509_STORE_CTX_init(context.get(), store.get(), certificate, nullptr);
  X509_STORE_CTX_set_purpose(context.get(), purpose);
  if (X509_verify_cert(context.get()) == 1) return "ok";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
}

unsigned mode_of(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == -1) return 0;
  return status.st_mode & 0777U;
}

// Every file under `dir` with its bytes.
std::map<std::string, std::string> contents(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files[entry.path().string()] = read_file(entry.path().string());
  }
  return files;
}

TEST(Certificates, AgencyCertificatesNameTheirAgencyAndVerifyAgainstTheCa) {
  const TempDir dir;
  constexpr std::array<std::uint32_t, 3> kAgencies{1, 2, 10000};
  make_certificates(dir.path(), kAgencies);
  for (const std::uint32_t agency : kAgencies) {
    const std::string folder = dir.file("agency-" + std::to_string(agency));
    const Certificate certificate = load(folder + "/agency.crt");
    EXPECT_EQ(common_name(certificate.get()), "agency-" + std::to_string(agency));
    EXPECT_EQ(verdict(dir.file("ca.crt"), certificate.get(), X509_PURPOSE_SSL_CLIENT), "ok");
    EXPECT_NE(verdict(dir.file("ca.crt"), certificate.get(), X509_PURPOSE_SSL_SERVER), "ok")
        << "clientAuth only";
    EXPECT_EQ(read_file(folder + "/ca.crt"), read_file(dir.file("ca.crt")));
    EXPECT_EQ(mode_of(folder + "/agency.key"), 0600U);
    // The program's own check: the key is the certificate's and the files load.
    EXPECT_NO_THROW(tls::Context(tls::Context::Side::kClient,
                                 {folder + "/agency.crt", folder + "/agency.key", folder + "/ca.crt"}));
  }
  EXPECT_EQ(mode_of(dir.file("ca/ca.key")), 0600U);
}

TEST(Certificates, TheServerCertificateNamesItsHostsAndVerifies) {
  const TempDir dir;
  make_certificates(dir.path(), {});
  const std::string folder = dir.file("server");
  const Certificate certificate = load(folder + "/server.crt");
  EXPECT_EQ(common_name(certificate.get()), "server");
  EXPECT_EQ(verdict(dir.file("ca.crt"), certificate.get(), X509_PURPOSE_SSL_SERVER), "ok");
  for (const char* host : {"server", "localhost"}) {
    EXPECT_EQ(X509_check_host(certificate.get(), host, 0, 0, nullptr), 1) << host;
  }
  EXPECT_EQ(X509_check_ip_asc(certificate.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(certificate.get(), "example.org", 0, 0, nullptr), 0);
  EXPECT_EQ(mode_of(folder + "/server.key"), 0600U);
  EXPECT_NO_THROW(tls::Context(tls::Context::Side::kServer,
                               {folder + "/server.crt", folder + "/server.key", folder + "/ca.crt"}));
}

TEST(Certificates, ASecondCallKeepsWhatIsThereAndSignsTheNewWithTheSameCa) {
  const TempDir dir;
  constexpr std::array<std::uint32_t, 2> kFirst{3, 4};
  make_certificates(dir.path(), kFirst);
  const auto before = contents(dir.path());
  constexpr std::array<std::uint32_t, 3> kSecond{3, 4, 5};
  make_certificates(dir.path(), kSecond);
  const auto after = contents(dir.path());
  for (const auto& [path, bytes] : before) EXPECT_EQ(after.at(path), bytes) << path;
  EXPECT_EQ(after.size(), before.size() + 3) << "agency-5's three files, nothing else";
  const Certificate added = load(dir.file("agency-5/agency.crt"));
  EXPECT_EQ(verdict(dir.file("ca.crt"), added.get(), X509_PURPOSE_SSL_CLIENT), "ok");
}

TEST(Certificates, RefusesToSignWhenTheCaThatSignedTheFolderIsGone) {
  const TempDir dir;
  constexpr std::array<std::uint32_t, 1> kOne{1};
  make_certificates(dir.path(), kOne);
  std::filesystem::remove_all(dir.file("ca"));
  std::filesystem::remove(dir.file("ca.crt"));
  constexpr std::array<std::uint32_t, 1> kAnother{2};
  EXPECT_THROW(make_certificates(dir.path(), kAnother), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(dir.file("agency-2")));
}

}  // namespace
}  // namespace tp0::testing
