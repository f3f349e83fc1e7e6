#include "tests/tls/test_pki.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace tp0::testing {
namespace {

// Runs `bash script arguments…` in the foreground, its output into `log`. Throws with
// that output when it does not exit 0.
void run_script(const std::string& script, const std::vector<std::string>& arguments, const std::string& log) {
  std::vector<std::string> words{"/bin/bash", script};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  argv.reserve(words.size() + 1);
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  char path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char* environment[] = {path, nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environment);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error("cannot run " + script + ": " + std::strerror(spawned));
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1) {
    if (errno != EINTR) throw std::runtime_error("waitpid for " + script + ": " + std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(script + " failed:\n" + read_file(log));
  }
}

tls::Credentials folder(const std::string& path, const std::string& name) {
  return tls::Credentials{path + "/" + name + ".crt", path + "/" + name + ".key", path + "/ca.crt"};
}

}  // namespace

TestPki::TestPki(std::string dir, const std::vector<std::uint32_t>& agencies, std::uint32_t bad_agency)
    : dir_(std::move(dir)), bad_agency_(bad_agency) {
  std::vector<std::string> arguments{dir_};
  for (const std::uint32_t id : agencies) arguments.push_back(std::to_string(id));
  // One id alone would be read as a count: naming it twice names it once.
  if (agencies.size() == 1) arguments.push_back(arguments.back());
  const std::string source = TP0_SOURCE_DIR;
  run_script(source + "/scripts/make-certs.sh", arguments, dir_ + ".make-certs.log");
  run_script(source + "/tests/support/make-bad-certs.sh", {dir_, std::to_string(bad_agency_)},
             dir_ + ".make-bad-certs.log");
}

tls::Credentials TestPki::server() const { return folder(dir_ + "/server", "server"); }

tls::Credentials TestPki::agency(std::uint32_t id) const {
  return folder(dir_ + "/agency-" + std::to_string(id), "agency");
}

tls::Credentials TestPki::expired_agency() const {
  return folder(dir_ + "/bad/expired-agency-" + std::to_string(bad_agency_), "agency");
}

tls::Credentials TestPki::untrusted_agency() const {
  return folder(dir_ + "/bad/untrusted-agency-" + std::to_string(bad_agency_), "agency");
}

tls::Credentials TestPki::untrusted_server() const { return folder(dir_ + "/bad/untrusted-server", "server"); }

tls::Credentials TestPki::wrong_name_server() const { return folder(dir_ + "/bad/wrong-name-server", "server"); }

Environment TestPki::server_environment() const {
  const tls::Credentials files = server();
  return {{"SERVER_TLS_CERT", files.certificate}, {"SERVER_TLS_KEY", files.key}, {"SERVER_TLS_CA", files.authority}};
}

Environment TestPki::client_environment(const tls::Credentials& credentials) {
  return {{"CLI_TLS_CERT", credentials.certificate},
          {"CLI_TLS_KEY", credentials.key},
          {"CLI_TLS_CA", credentials.authority}};
}

}  // namespace tp0::testing
