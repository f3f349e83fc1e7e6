#include "server/storage/commit_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <stdexcept>

#include "common/sys/system_error.h"

namespace tp0::storage {
namespace {

constexpr std::size_t kRecordBytes = CommitRecord::kDigits + 1;  // digits and a line end

}  // namespace

std::string CommitRecord::path_for(const std::string& bets_path) { return bets_path + ".committed"; }

CommitRecord CommitRecord::open_for_update(const std::string& bets_path) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd(
      sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("open commit record " + path);
  return CommitRecord(std::move(fd), std::move(path));
}

CommitRecord CommitRecord::open_for_reading(const std::string& bets_path) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd && errno != ENOENT) throw sys::last_error("open commit record " + path);
  return CommitRecord(std::move(fd), std::move(path));
}

std::optional<std::uint64_t> CommitRecord::read() const {
  if (!fd_) return std::nullopt;
  std::array<char, kRecordBytes + 1> text{};
  const ssize_t received =
      sys::retry_on_eintr([&] { return ::pread(fd_.get(), text.data(), text.size(), 0); });
  if (received == -1) throw sys::last_error("read commit record " + path_);
  if (received == 0) return std::nullopt;
  std::uint64_t length = 0;
  const char* const digits_end = text.data() + kDigits;
  const auto [stop, error] = std::from_chars(text.data(), digits_end, length);
  if (received != static_cast<ssize_t>(kRecordBytes) || error != std::errc() ||
      stop != digits_end || text[kDigits] != '\n') {
    throw std::runtime_error("commit record " + path_ + " is not " + std::to_string(kDigits) +
                             " digits and a line end; it was not written by this server");
  }
  return length;
}

void CommitRecord::write(std::uint64_t length) {
  std::array<char, kRecordBytes> text{};
  text.fill('0');
  text[kDigits] = '\n';
  // Right-aligned digits behind leading zeros keep the record one fixed size; 20 digits
  // hold every uint64_t, so to_chars cannot run out of room.
  std::array<char, kDigits> digits{};
  const char* const first = digits.data();
  const char* const stop = std::to_chars(digits.data(), digits.data() + digits.size(), length).ptr;
  std::copy(first, stop, text.data() + (kDigits - static_cast<std::size_t>(stop - first)));
  const ssize_t written =
      sys::retry_on_eintr([&] { return ::pwrite(fd_.get(), text.data(), text.size(), 0); });
  if (written == -1) throw sys::last_error("update commit record " + path_);
  if (written != static_cast<ssize_t>(text.size())) {
    throw std::runtime_error("update commit record " + path_ + ": short write");
  }
}

}  // namespace tp0::storage
