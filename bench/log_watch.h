#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace tp0::bench {

// The wall-clock moment a line holding `needle` first appears in a log that a program
// appends to: the server's lines carry whole seconds only. A thread of its own reads what
// was added every millisecond, so the moment is late by about that much.
class LogWatch {
 public:
  // Starts watching `path`, which may not exist yet, from its beginning.
  LogWatch(std::string path, std::string needle);
  ~LogWatch();
  LogWatch(const LogWatch&) = delete;
  LogWatch& operator=(const LogWatch&) = delete;

  // Stops watching (after a last look). Returns the moment the needle was seen, in µs
  // since 1970, or nullopt if it never was.
  std::optional<std::int64_t> finish();

 private:
  // Reads what was added since the last look; true once the needle is seen.
  bool look();

  std::string path_;
  std::string needle_;
  std::int64_t offset_ = 0;
  std::string tail_;  // the end of what was read, in case the needle straddles two reads
  std::optional<std::int64_t> seen_at_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tp0::bench
