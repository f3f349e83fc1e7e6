#include "bench/log_watch.h"

#include <array>
#include <chrono>
#include <fstream>

namespace tp0::bench {
namespace {

constexpr std::chrono::milliseconds kLookPeriod{1};

std::int64_t unix_us_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LogWatch::LogWatch(std::string path, std::string needle)
    : path_(std::move(path)), needle_(std::move(needle)), thread_([this] {
        while (!stop_ && !look()) std::this_thread::sleep_for(kLookPeriod);
      }) {}

LogWatch::~LogWatch() { finish(); }

std::optional<std::int64_t> LogWatch::finish() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
    if (!seen_at_) look();
  }
  return seen_at_;
}

bool LogWatch::look() {
  if (seen_at_) return true;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return false;
  in.seekg(offset_);
  std::array<char, std::size_t{64} * 1024> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    const auto got = static_cast<std::size_t>(in.gcount());
    offset_ += static_cast<std::int64_t>(got);
    tail_.append(chunk.data(), got);
    if (tail_.find(needle_) != std::string::npos) {
      seen_at_ = unix_us_now();
      return true;
    }
    if (tail_.size() > needle_.size()) tail_.erase(0, tail_.size() - needle_.size());
  }
  return false;
}

}  // namespace tp0::bench
