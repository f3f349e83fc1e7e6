#include "tests/support/certificates.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "tests/support/process.h"

extern char** environ;

namespace tp0::testing {
namespace {

// posix_spawn's list of what to do with descriptors in the child, freed on every path.
class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& argument : argv) line += (line.empty() ? "" : " ") + argument;
  return line;
}

// Runs `argv` (found in PATH) and waits for it. Throws std::runtime_error with the
// command and what it printed, stdout and stderr together, unless it exits 0.
void run(const std::vector<std::string>& argv) {
  sys::Pipe output = sys::make_pipe(false);
  pid_t pid = -1;
  {
    SpawnActions actions;
    posix_spawn_file_actions_adddup2(actions.get(), output.write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(actions.get(), output.write_end.get(), STDERR_FILENO);
    std::vector<char*> arguments;
    arguments.reserve(argv.size() + 1);
    for (const std::string& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
    arguments.push_back(nullptr);
    const int error = ::posix_spawnp(&pid, arguments[0], actions.get(), nullptr, arguments.data(), environ);
    if (error != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(error));
  }
  // Only the child holds the writing end now: reading ends when it does.
  output.write_end.reset();
  std::string printed;
  std::array<char, 4096> chunk{};
  while (true) {
    const ssize_t got = sys::retry_on_eintr([&] { return ::read(output.read_end.get(), chunk.data(), chunk.size()); });
    if (got <= 0) break;
    printed.append(chunk.data(), static_cast<std::size_t>(got));
  }
  int status = 0;
  if (sys::retry_on_eintr([&] { return ::waitpid(pid, &status, 0); }) == -1) {
    throw std::runtime_error("cannot wait for " + command_line(argv) + ": " + std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(command_line(argv) + " failed: " + printed);
  }
}

// What scripts/make-certs.sh puts in an agency's certificate, for the one agency it
// refuses to name (0).
constexpr char kAgencyConfig[] = R"([req]
distinguished_name = subject
prompt = no
[subject]

[agency_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
)";

// dir/agency-0/, signed by the CA that make-certs.sh made in `dir`, unless it is there.
// Made aside and renamed into place, as the script does, so it is whole or absent.
void make_agency_zero(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string folder = dir + "/agency-0";
  if (fs::exists(folder)) return;
  const std::string stage = dir + "/.agency-0";
  fs::remove_all(stage);
  fs::create_directory(stage);
  write_file(stage + "/openssl.cnf", kAgencyConfig);
  run({"openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
       "-keyout", stage + "/agency.key", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca/ca.key", "-sha256", "-days",
       "730", "-subj", "/O=TP0/CN=agency-0", "-config", stage + "/openssl.cnf", "-extensions", "agency_ext", "-out",
       stage + "/agency.crt"});
  fs::remove(stage + "/openssl.cnf");
  fs::copy_file(dir + "/ca.crt", stage + "/ca.crt");
  fs::rename(stage, folder);
}

}  // namespace

void make_certificates(const std::string& dir, std::span<const std::uint32_t> agencies) {
  std::vector<std::string> argv{"bash", TP0_SOURCE_DIR "/scripts/make-certs.sh", dir};
  for (const std::uint32_t id : agencies) {
    if (id != 0) argv.push_back(std::to_string(id));
  }
  // The script reads one number alone as a count (DIR N: agencies 1 to N), and names one
  // agency as ID ID; none at all is a count of 0.
  if (argv.size() == 3) argv.emplace_back("0");
  if (argv.size() == 4 && argv[3] != "0") argv.push_back(argv[3]);
  run(argv);
  if (std::find(agencies.begin(), agencies.end(), 0u) != agencies.end()) make_agency_zero(dir);
}

}  // namespace tp0::testing
