#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/tls/credentials.h"
#include "config/config_error.h"
#include "config/environment.h"
#include "tests/support/process.h"

namespace tp0::config::testing {

// A scratch directory for configuration files.
class ConfigFiles {
 public:
  // Writes `contents` to `name` inside the directory, readable by its owner alone (as a
  // private key must be), and returns its path.
  std::string write(const std::string& name, const std::string& contents) const {
    tp0::testing::write_file(dir_.file(name), contents);
    std::filesystem::permissions(dir_.file(name),
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return dir_.file(name);
  }

  // A path inside the directory where nothing exists.
  std::string absent(const std::string& name) const { return dir_.file(name); }

  std::string path() const { return dir_.path(); }

 private:
  tp0::testing::TempDir dir_;
};

// An Environment backed by `variables`, then by `fallback` for the names `variables` does
// not hold; both must outlive it.
inline Environment fake_environment(const std::map<std::string, std::string>& variables,
                                    const std::map<std::string, std::string>& fallback) {
  return [&variables, &fallback](const std::string& name) -> std::optional<std::string> {
    for (const auto* source : {&variables, &fallback}) {
      if (const auto it = source->find(name); it != source->end()) return it->second;
    }
    return std::nullopt;
  };
}

// An Environment backed by `variables`, which must outlive it.
inline Environment fake_environment(const std::map<std::string, std::string>& variables) {
  static const std::map<std::string, std::string> kNothing;
  return fake_environment(variables, kNothing);
}

// Makes `path` the working directory until destroyed, then goes back: for the settings
// whose defaults are paths relative to it.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::string& path) : previous_(std::filesystem::current_path()) {
    std::filesystem::current_path(path);
  }
  ~WorkingDirectory() {
    std::error_code ignored;
    std::filesystem::current_path(previous_, ignored);
  }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  std::filesystem::path previous_;
};

// The fixture of both programs' settings: a scratch directory for the config file, the
// environment the loader sees (env_, then fallback_), and the program's loader `kLoad`,
// whose TLS switch is the variable `kTls` (its files are kTls + "_CERT", "_KEY", "_CA").
// TLS is off beneath env_, so that the tests that are not about it need no files.
template <typename Config, Config (*kLoad)(const std::string&, const Environment&), const char* kTls>
class ConfigTest : public ::testing::Test {
 protected:
  Config load(const std::string& path) { return kLoad(path, fake_environment(env_, fallback_)); }
  Config load_text(const std::string& contents) { return load(dir_.write("config", contents)); }
  Config load_env_only() { return load(dir_.absent("config")); }

  // Expects loading `path` to fail with a one-line message containing every one of
  // `fragments`.
  void expect_error(const std::string& path, const std::vector<std::string>& fragments) {
    try {
      load(path);
    } catch (const ConfigError& error) {
      for (const std::string& fragment : fragments) {
        EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos)
            << "message: " << error.what() << "\nmissing: " << fragment;
      }
      EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
      return;
    }
    ADD_FAILURE() << "no ConfigError for " << path;
  }

  // TLS on unless env_ says otherwise, as in a real start.
  void tls_on() { fallback_.clear(); }

  // Three readable files of the scratch directory (their contents are OpenSSL's concern,
  // when the program starts, not the configuration's).
  tls::Credentials readable_files() {
    return {dir_.write("cert.pem", "certificate"), dir_.write("key.pem", "key"), dir_.write("ca.pem", "ca")};
  }

  // Names `files` in the environment.
  void set_files(const tls::Credentials& files) {
    env_[std::string(kTls) + "_CERT"] = files.certificate;
    env_[std::string(kTls) + "_KEY"] = files.key;
    env_[std::string(kTls) + "_CA"] = files.authority;
  }

  ConfigFiles dir_;
  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> fallback_{{kTls, "off"}};
};

}  // namespace tp0::config::testing
