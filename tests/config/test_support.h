#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_error.h"
#include "config/environment.h"
#include "tests/support/process.h"

namespace tp0::config::testing {

// A scratch directory for configuration files.
class ConfigFiles {
 public:
  // Writes `contents` to `name` inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& contents) const {
    tp0::testing::write_file(dir_.file(name), contents);
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

// Expects `load()` to throw a one-line ConfigError containing every one of `fragments`,
// and returns it.
template <typename Load>
ConfigError expect_config_error(Load load, const std::string& what,
                                const std::vector<std::string>& fragments) {
  try {
    load();
  } catch (const ConfigError& error) {
    for (const std::string& fragment : fragments) {
      EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos)
          << "message: " << error.what() << "\nmissing: " << fragment;
    }
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    return error;
  }
  ADD_FAILURE() << "no ConfigError for " << what;
  return ConfigError("", "");
}

}  // namespace tp0::config::testing
