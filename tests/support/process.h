#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tp0::testing {

using Environment = std::map<std::string, std::string>;

// A program the test started, with its stdout and stderr captured to a file. Waiting is
// always on an event — a line in its output, its exit — with a timeout as a safety net.
// The destructor kills and reaps it if it is still running.
class Process {
 public:
  // Starts `program` with `arguments` in `workdir`, with exactly `environment` (plus PATH).
  Process(const std::string& program, const Environment& environment, const std::string& workdir,
          const std::string& output_path, const std::vector<std::string>& arguments = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Everything the program printed so far.
  std::string output() const;
  std::vector<std::string> lines_containing(const std::string& needle) const;

  // Waits until the output has `count` lines containing `needle`. False on timeout or if
  // the program exited first.
  bool wait_for_lines(const std::string& needle, std::size_t count, std::chrono::milliseconds timeout);
  bool wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
    return wait_for_lines(needle, 1, timeout);
  }

  // Waits for the program to exit. Returns its exit code (128 + signal if killed), or
  // nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  bool running();
  void send_signal(int signal_number);

  // The largest resident set, in KiB, of the program or of any child it reaped (the
  // kernel's ru_maxrss); nullopt until it has exited.
  std::optional<long> peak_rss_kib() const { return peak_rss_kib_; }

  // The CPU time, user and system, of the program and of every child it reaped;
  // nullopt until it has exited.
  std::optional<std::chrono::microseconds> cpu_time() const { return cpu_time_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::optional<long> peak_rss_kib_;
  std::optional<std::chrono::microseconds> cpu_time_;
  std::string output_path_;
};

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Returns the value of "key: value" in a log line ("" if absent).
std::string field_of(const std::string& line, const std::string& key);

// Runs `program` with `arguments` in `workdir` to its end, its output into `output_path`.
// Throws std::runtime_error with that output unless it exits 0 within `timeout`.
void run_to_completion(const std::string& program, const std::vector<std::string>& arguments,
                       const std::string& workdir, const std::string& output_path,
                       std::chrono::milliseconds timeout);

// Extracts the files of the archive `zip` into `directory` (unzip's output into
// directory/unzip.log). Throws std::runtime_error if unzip fails.
void unzip_into(const std::string& zip, const std::string& directory);

std::string read_file(const std::string& path);

// Waits for the child `pid` and returns its exit code, 128 + the signal that killed it, or
// -1 when it cannot be waited for.
int exit_code_of(pid_t pid);

// The processes `pid` has forked and not yet reaped (from /proc; `pid` single-threaded).
std::vector<int> children_of(int pid);
// The state letter /proc gives process `pid` ('S' while it sleeps in a wait, '?' once gone).
char state_of(int pid);
void write_file(const std::string& path, const std::string& content);
std::vector<std::string> split_lines(const std::string& text);

}  // namespace tp0::testing
