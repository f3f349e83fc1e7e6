#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace tp0::testing {

// An outsider taking the server's capacity, on a thread of the test: it keeps
// `per_source` connections open from each of `sources` (loopback addresses such as
// 127.0.0.2), opening a new one at its next tick (every 100 ms) for each the server closes
// or refuses, until destroyed. It has no certificate: it never gets past the introduction.
class Flood {
 public:
  enum class Kind {
    kSilent,   // connects and says nothing
    kTrickle,  // announces a 16 KiB TLS record and sends it a byte per tick
  };

  Flood(std::uint16_t port, std::vector<std::string> sources, std::size_t per_source, Kind kind);
  ~Flood();
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;

  // How many connections it opened, and how many of them the server ended.
  std::size_t opened() const { return opened_; }
  std::size_t ended() const { return ended_; }

 private:
  void run();

  std::uint16_t port_;
  std::vector<std::string> sources_;
  std::size_t per_source_;
  Kind kind_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> ended_{0};
  std::thread thread_;
};

}  // namespace tp0::testing
