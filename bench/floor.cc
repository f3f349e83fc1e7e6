#include "bench/floor.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "tests/support/listener.h"

namespace tp0::bench {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{64} * 1024;

sys::UniqueFd open_or_throw(const std::string& path, int flags) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("open " + path);
  return fd;
}

// Runs `work` on its own thread; the first exception any thread throws is kept for join().
class Workers {
 public:
  template <typename Work>
  void start(const Work& work) {
    threads_.emplace_back([this, work] {
      try {
        work();
      } catch (...) {
        const std::lock_guard lock(mutex_);
        if (!failure_) failure_ = std::current_exception();
      }
    });
  }
  void join() {
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::exception_ptr failure_;
};

net::Connection accept_one(net::TcpListener& listener) {
  while (true) {
    pollfd ready{listener.fd(), POLLIN, 0};
    if (::poll(&ready, 1, -1) == -1 && errno != EINTR) throw sys::last_error("poll the floor's listener");
    if (auto connection = testing::accept_or_throw(listener)) return std::move(*connection);
  }
}

}  // namespace

std::chrono::microseconds push_through_loopback(const AgencyFiles& files, const std::string& output_path) {
  auto listener = net::TcpListener::listen("127.0.0.1", 0, static_cast<int>(files.paths.size()) + 16);
  const sys::UniqueFd output = open_or_throw(output_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
  const std::string port = std::to_string(listener.port());

  const auto started = std::chrono::steady_clock::now();
  Workers sinks;
  Workers senders;
  for (const auto& path : files.paths) {
    senders.start([&path, &port] {
      const sys::UniqueFd input = open_or_throw(path, O_RDONLY);
      net::Connection connection = net::connect_to("127.0.0.1", port);
      std::array<std::byte, kChunkBytes> chunk;
      while (true) {
        const ssize_t got =
            sys::retry_on_eintr([&] { return ::read(input.get(), chunk.data(), chunk.size()); });
        if (got == -1) throw sys::last_error("read " + path);
        if (got == 0) break;
        connection.write_all(std::span(chunk.data(), static_cast<std::size_t>(got)));
      }
      connection.close();
    });
  }
  for (std::size_t i = 0; i < files.paths.size(); ++i) {
    sinks.start(
        [connection = std::make_shared<net::Connection>(accept_one(listener)), &output, &output_path] {
          std::array<std::byte, kChunkBytes> chunk;
          while (const std::size_t got = connection->read_some(chunk)) {
            sys::write_all(output.get(), std::string_view(reinterpret_cast<const char*>(chunk.data()), got),
                           "write " + output_path);
          }
        });
  }
  senders.join();
  sinks.join();
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
}

}  // namespace tp0::bench
