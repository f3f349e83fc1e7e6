#include "tests/support/certificates.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <vector>

#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "common/tls/errors.h"

namespace tp0::testing {
namespace {

namespace fs = std::filesystem;

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Extension = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;
using Number = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
// OPENSSL_free is a macro, which a unique_ptr cannot take as its deleter.
struct FreeWithOpenSsl {
  void operator()(unsigned char* bytes) const { OPENSSL_free(bytes); }
};
using OpenSslBytes = std::unique_ptr<unsigned char, FreeWithOpenSsl>;

// As scripts/make-certs.sh makes them.
constexpr long kCaDays = 3650;
constexpr long kLeafDays = 730;
constexpr long kSecondsPerDay = 24L * 60 * 60;
// The openssl command's random serial numbers: positive, and within the 20 bytes that
// RFC 5280 allows.
constexpr int kSerialBits = 159;

struct ExtensionSpec {
  int nid;
  const char* value;
};

// The sections of the script's openssl.cnf.
constexpr ExtensionSpec kCaExtensions[] = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                           {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                           {NID_subject_key_identifier, "hash"}};
constexpr ExtensionSpec kServerExtensions[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "critical,digitalSignature"},
    {NID_ext_key_usage, "serverAuth"},
    {NID_subject_alt_name, "DNS:server,DNS:localhost,IP:127.0.0.1"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"}};
constexpr ExtensionSpec kAgencyExtensions[] = {{NID_basic_constraints, "critical,CA:FALSE"},
                                               {NID_key_usage, "critical,digitalSignature"},
                                               {NID_ext_key_usage, "clientAuth"},
                                               {NID_subject_key_identifier, "hash"},
                                               {NID_authority_key_identifier, "keyid:always"}};

// One kind of leaf folder: its files' names and its certificate's extensions.
struct LeafKind {
  const char* certificate_file;
  const char* key_file;
  std::span<const ExtensionSpec> extensions;
};
constexpr LeafKind kServer{"server.crt", "server.key", kServerExtensions};
constexpr LeafKind kAgency{"agency.crt", "agency.key", kAgencyExtensions};

// The CA that signs, and its certificate's PEM text, which every folder gets a copy of.
struct Authority {
  Certificate certificate{nullptr, &X509_free};
  Key key{nullptr, &EVP_PKEY_free};
  std::string pem;
};

[[noreturn]] void fail(const std::string& doing) {
  const std::string reasons = tls::openssl_reasons();
  throw std::runtime_error("make certificates: " + doing + (reasons.empty() ? "" : ": " + reasons));
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (!key) fail("generate a P-256 key");
  return key;
}

// X509_set_pubkey would do, but it looks up OpenSSL 3.0's encoders on every call, which
// took 0.4 ms a certificate, most of the time of each; a P-256 key's SubjectPublicKeyInfo
// is only its point and two object identifiers, and comes out byte for byte the same.
void set_public_key(X509* certificate, EVP_PKEY* key, const std::string& doing) {
  std::array<unsigned char, 128> point{};
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(),
                                      &length) != 1) {
    fail(doing + ": its public key");
  }
  OpenSslBytes copy(static_cast<unsigned char*>(OPENSSL_memdup(point.data(), length)));
  if (!copy || X509_PUBKEY_set0_param(
                   X509_get_X509_PUBKEY(certificate), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                   OBJ_nid2obj(NID_X9_62_prime256v1), copy.get(), static_cast<int>(length)) != 1) {
    fail(doing + ": set its public key");
  }
  // The certificate owns the copy now.
  static_cast<void>(copy.release());
}

// A certificate for `key` naming O=TP0, CN=`common_name`, signed by `issuer`, or by `key`
// itself when `issuer` is null.
Certificate new_certificate(const std::string& common_name, EVP_PKEY* key, long days,
                            std::span<const ExtensionSpec> extensions, const Authority* issuer) {
  const std::string doing = "make the certificate of " + common_name;
  Certificate certificate(X509_new(), &X509_free);
  Number serial(BN_new(), &BN_free);
  if (!certificate || !serial) fail(doing);
  X509* made = certificate.get();
  X509_NAME* subject = X509_get_subject_name(made);
  const auto text = [](const char* value) { return reinterpret_cast<const unsigned char*>(value); };
  if (X509_set_version(made, X509_VERSION_3) != 1 ||
      BN_rand(serial.get(), kSerialBits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(made)) == nullptr ||
      X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, text("TP0"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, text(common_name.c_str()), -1, -1, 0) != 1 ||
      X509_set_issuer_name(
          made, issuer != nullptr ? X509_get_subject_name(issuer->certificate.get()) : subject) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(made), 0) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(made), days * kSecondsPerDay) == nullptr) {
    fail(doing);
  }
  set_public_key(made, key, doing);
  // The key identifiers are computed from the certificates the context names.
  X509V3_CTX context{};
  X509V3_set_ctx(&context, issuer != nullptr ? issuer->certificate.get() : made, made, nullptr, nullptr, 0);
  for (const auto& spec : extensions) {
    const Extension extension(X509V3_EXT_nconf_nid(nullptr, &context, spec.nid, spec.value),
                              &X509_EXTENSION_free);
    if (!extension || X509_add_ext(made, extension.get(), -1) != 1) {
      fail(doing + ": add " + OBJ_nid2sn(spec.nid) + " " + spec.value);
    }
  }
  if (X509_sign(made, issuer != nullptr ? issuer->key.get() : key, EVP_sha256()) <= 0)
    fail(doing + ": sign it");
  return certificate;
}

// What `write` puts into a memory BIO, as text.
template <typename Write>
std::string pem_of(Write write, const std::string& what) {
  const Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || write(bio.get()) != 1) fail("write " + what + " as PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string certificate_pem(X509* certificate, const std::string& what) {
  return pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, certificate); }, what);
}

// PKCS #8, unencrypted, as `openssl req -noenc` writes keys.
std::string key_pem(EVP_PKEY* key, const std::string& what) {
  return pem_of(
      [&](BIO* bio) { return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); },
      what);
}

// Creates `path`, which must not exist, with exactly `mode`: a key is never readable by
// others, whatever the umask.
void write_new_file(const std::string& path, const std::string& content, mode_t mode) {
  sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) throw sys::last_error("create " + path);
  if (::fchmod(fd.get(), mode) == -1) throw sys::last_error("set the mode of " + path);
  sys::write_all(fd.get(), content, "write " + path);
  fd.close();
}

std::string read_whole(const std::string& path) {
  const sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw sys::last_error("open " + path);
  return sys::read_all(fd.get(), "read " + path);
}

void make_folder(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == -1) throw sys::last_error("create the folder " + path);
}

void move_into_place(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) == -1) throw sys::last_error("move " + from + " to " + to);
}

// Held for the whole call: the script takes the same lock, so neither makes a folder the
// other is making.
sys::UniqueFd lock_folder(const std::string& dir) {
  sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw sys::last_error("open the folder " + dir);
  if (sys::retry_on_eintr([&] { return ::flock(fd.get(), LOCK_EX); }) == -1)
    throw sys::last_error("lock " + dir);
  return fd;
}

// A folder inside `dir` where folders are made before being renamed into place; removed
// with whatever is left in it.
class Stage {
 public:
  explicit Stage(const std::string& dir) : path_(dir + "/.make-certs-XXXXXX") {
    if (::mkdtemp(path_.data()) == nullptr) throw sys::last_error("create a folder in " + dir);
  }
  ~Stage() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Whether `folder` is there, whole. One that is there but not whole stops the call:
// keeping it or replacing it would both be guesses.
bool present(const std::string& folder, const LeafKind& kind) {
  if (!fs::exists(folder)) return false;
  for (const char* file : {kind.certificate_file, kind.key_file, "ca.crt"}) {
    if (!fs::is_regular_file(folder + "/" + file)) {
      throw std::runtime_error("make certificates: " + folder + " lacks " + file +
                               ": complete it or remove the folder");
    }
  }
  return true;
}

Authority load_authority(const std::string& certificate_path, const std::string& key_path) {
  Authority authority;
  authority.pem = read_whole(certificate_path);
  const Bio certificate(BIO_new_mem_buf(authority.pem.data(), static_cast<int>(authority.pem.size())),
                        &BIO_free);
  if (certificate)
    authority.certificate.reset(PEM_read_bio_X509(certificate.get(), nullptr, nullptr, nullptr));
  if (!authority.certificate) fail(certificate_path + " is not a certificate");
  const Bio key(BIO_new_file(key_path.c_str(), "r"), &BIO_free);
  if (key) authority.key.reset(PEM_read_bio_PrivateKey(key.get(), nullptr, nullptr, nullptr));
  if (!authority.key) fail(key_path + " is not a private key (or cannot be read)");
  if (X509_check_private_key(authority.certificate.get(), authority.key.get()) != 1) {
    fail(key_path + " is not the key of " + certificate_path);
  }
  return authority;
}

bool holds_signed_folders(const std::string& dir) {
  if (fs::exists(dir + "/server")) return true;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with("agency-")) return true;
  }
  return false;
}

// A new CA, put into place (its key first, in a folder that only its owner may enter).
Authority new_authority(const std::string& dir, const std::string& stage) {
  Authority authority;
  authority.key = new_key();
  authority.certificate =
      new_certificate("TP0 lottery CA", authority.key.get(), kCaDays, kCaExtensions, nullptr);
  authority.pem = certificate_pem(authority.certificate.get(), "the CA's certificate");
  make_folder(stage + "/ca", 0700);
  write_new_file(stage + "/ca/ca.key", key_pem(authority.key.get(), "the CA's key"), 0600);
  write_new_file(stage + "/ca.crt", authority.pem, 0644);
  move_into_place(stage + "/ca", dir + "/ca");
  move_into_place(stage + "/ca.crt", dir + "/ca.crt");
  return authority;
}

// The CA of `dir`, made when there is none and nothing it should have signed.
Authority authority_of(const std::string& dir, const std::string& stage) {
  const std::string certificate_path = dir + "/ca.crt";
  const std::string key_path = dir + "/ca/ca.key";
  const bool has_certificate = fs::exists(certificate_path);
  const bool has_key = fs::exists(key_path);
  if (has_certificate && has_key) return load_authority(certificate_path, key_path);
  if (has_certificate || has_key) {
    throw std::runtime_error("make certificates: the CA is incomplete: both " + certificate_path + " and " +
                             key_path + " are needed to sign more");
  }
  if (holds_signed_folders(dir)) {
    throw std::runtime_error("make certificates: " + dir +
                             " holds certificates but not the CA that signed them (" + certificate_path +
                             ", " + key_path + ")");
  }
  return new_authority(dir, stage);
}

// Makes the folder `name` in the stage, then renames it into `dir`.
void make_leaf(const Authority& authority, const std::string& name, const LeafKind& kind,
               const std::string& dir, const std::string& stage) {
  const std::string folder = stage + "/" + name;
  make_folder(folder, 0755);
  const Key key = new_key();
  const Certificate certificate = new_certificate(name, key.get(), kLeafDays, kind.extensions, &authority);
  write_new_file(folder + "/" + kind.key_file, key_pem(key.get(), "the key of " + name), 0600);
  write_new_file(folder + "/" + kind.certificate_file,
                 certificate_pem(certificate.get(), "the certificate of " + name), 0644);
  write_new_file(folder + "/ca.crt", authority.pem, 0644);
  move_into_place(folder, dir + "/" + name);
}

}  // namespace

void make_certificates(const std::string& dir, std::span<const std::uint32_t> agencies) {
  fs::create_directories(dir);
  const sys::UniqueFd lock = lock_folder(dir);
  const bool make_server = !present(dir + "/server", kServer);
  std::vector<std::string> missing_agencies;
  std::set<std::uint32_t> seen;
  for (const std::uint32_t agency : agencies) {
    if (!seen.insert(agency).second) continue;
    std::string name = "agency-" + std::to_string(agency);
    std::string folder = dir;
    folder.append("/").append(name);
    if (!present(folder, kAgency)) missing_agencies.push_back(std::move(name));
  }
  if (!make_server && missing_agencies.empty()) return;
  // Declared after the lock, so removed before it is released.
  const Stage stage(dir);
  const Authority authority = authority_of(dir, stage.path());
  if (make_server) make_leaf(authority, "server", kServer, dir, stage.path());
  for (const auto& name : missing_agencies) make_leaf(authority, name, kAgency, dir, stage.path());
}

}  // namespace tp0::testing
