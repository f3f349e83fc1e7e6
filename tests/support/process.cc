#include "tests/support/process.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tp0::testing {
namespace {

// How often waits look again at the output file. Waiting is for the line itself; this
// only bounds how late a wait notices it.
constexpr std::chrono::milliseconds kPollInterval{5};

int decode_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

Process::Process(const std::string& program, const Environment& environment, const std::string& workdir,
                 const std::string& output_path, const std::vector<std::string>& arguments)
    : output_path_(output_path) {
  std::vector<std::string> words{program};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  argv.reserve(words.size() + 1);
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  std::vector<std::string> entries{"PATH=/usr/local/bin:/usr/bin:/bin"};
  for (const auto& [name, value] : environment) entries.emplace_back(name).append("=").append(value);
  std::vector<char*> envp;
  envp.reserve(entries.size() + 1);
  for (auto& entry : entries) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ == -1) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (out == -1 || ::dup2(out, STDOUT_FILENO) == -1 || ::dup2(out, STDERR_FILENO) == -1 ||
        ::chdir(workdir.c_str()) == -1) {
      ::_exit(127);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
}

std::string Process::output() const { return read_file(output_path_); }

std::vector<std::string> Process::lines_containing(const std::string& needle) const {
  std::vector<std::string> found;
  for (const auto& line : split_lines(output())) {
    if (line.find(needle) != std::string::npos) found.push_back(line);
  }
  return found;
}

bool Process::wait_for_lines(const std::string& needle, std::size_t count,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const bool was_running = running();
    if (lines_containing(needle).size() >= count) return true;
    if (!was_running || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

bool Process::running() {
  if (exit_code_) return false;
  int status = 0;
  rusage usage{};
  const pid_t done = ::wait4(pid_, &status, WNOHANG, &usage);
  if (done == pid_) {
    exit_code_ = decode_status(status);
    peak_rss_kib_ = usage.ru_maxrss;
    const auto microseconds = [](const timeval& time) {
      return std::chrono::seconds(time.tv_sec) + std::chrono::microseconds(time.tv_usec);
    };
    cpu_time_ = microseconds(usage.ru_utime) + microseconds(usage.ru_stime);
  }
  return !exit_code_;
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
  return exit_code_;
}

void Process::send_signal(int signal_number) {
  if (running()) ::kill(pid_, signal_number);
}

TempDir::TempDir() {
  char pattern[] = "/tmp/tp0-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string field_of(const std::string& line, const std::string& key) {
  const std::string marker = "| " + key + ": ";
  const auto start = line.find(marker);
  if (start == std::string::npos) return "";
  const auto value = start + marker.size();
  const auto end = line.find(" |", value);
  return line.substr(value, end == std::string::npos ? std::string::npos : end - value);
}

void run_to_completion(const std::string& program, const std::vector<std::string>& arguments,
                       const std::string& workdir, const std::string& output_path,
                       std::chrono::milliseconds timeout) {
  Process process(program, {}, workdir, output_path, arguments);
  const std::optional<int> code = process.wait_exit(timeout);
  if (code != 0) {
    const std::string ending = code ? "exited with " + std::to_string(*code) : "did not end in time";
    throw std::runtime_error(program + " " + (arguments.empty() ? "" : arguments.front()) + " " + ending +
                             ":\n" + process.output());
  }
}

void unzip_into(const std::string& zip, const std::string& directory) {
  run_to_completion("/usr/bin/unzip", {"-q", "-o", zip, "-d", directory}, directory, directory + "/unzip.log",
                    std::chrono::minutes(2));
}

int exit_code_of(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return decode_status(status);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

char state_of(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto after_name = line.rfind(')');
  return after_name == std::string::npos || after_name + 2 >= line.size() ? '?' : line[after_name + 2];
}

std::vector<int> children_of(int pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  std::istringstream listed(read_file(path));
  std::vector<int> children;
  for (int child = 0; listed >> child;) children.push_back(child);
  return children;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace tp0::testing
