#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace tp0::testing {

// An outsider taking the server's capacity, on a thread of the test: it opens `per_second`
// new connections a second, from each of `sources` in turn (loopback addresses such as
// 127.1.0.1: loopback accepts any source in 127/8), and keeps each open until the server
// ends it (the most recent kMostOpen of them), until destroyed. It has no certificate: it
// never gets past the introduction.
class Flood {
 public:
  enum class Kind {
    kSilent,   // connects and says nothing
    kTrickle,  // announces a 16 KiB TLS record (a ClientHello's) and sends it a byte per 100 ms
  };
  // Descriptors the flood holds at most; the oldest is closed for a new one past it.
  static constexpr std::size_t kMostOpen = 2000;

  Flood(std::uint16_t port, std::vector<std::string> sources, double per_second, Kind kind);
  ~Flood();
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;

  // How many connections it opened, how many of them the server ended, and how many it
  // opened a second since it started (at most `per_second`: what this machine sustains).
  std::size_t opened() const { return opened_; }
  std::size_t ended() const { return ended_; }
  double rate() const;

 private:
  void run();

  std::uint16_t port_;
  std::vector<std::string> sources_;
  double per_second_;
  Kind kind_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> ended_{0};
  std::thread thread_;
};

// `count` loopback addresses each in a /24 of its own, none in 127.0.0.0/24 (the honest
// agencies'): 127.1.0.1, 127.1.1.1, ...
std::vector<std::string> addresses_of_distinct_networks(std::size_t count);

}  // namespace tp0::testing
