#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/sys/unique_fd.h"

namespace tp0::storage {

// The file `<bets file>.committed`: how many leading bytes of the bets file hold whole
// batches whose store_bets() call completed. Rows past that length were being written
// by a process that died (SIGKILL can stop a write between two pages), so they belong to
// no acknowledged batch and are cut or ignored.
//
// The record is one line of exactly kDigits decimal digits, rewritten in place by one
// small pwrite(2): a process killed mid-update cannot leave half of it.
// Callers hold the bets file's lock around every use.
class CommitRecord {
 public:
  static constexpr std::size_t kDigits = 20;

  // The record's path for the bets file at `bets_path`.
  static std::string path_for(const std::string& bets_path);

  // Opens the record for updates, creating it empty if missing.
  // Throws std::system_error naming the record's path.
  static CommitRecord open_for_update(const std::string& bets_path);

  // Opens the record for reading; an invalid record (no descriptor) when it does not exist.
  static CommitRecord open_for_reading(const std::string& bets_path);

  // The committed length, or nullopt when the record does not exist or is still empty
  // (created, never written). Throws std::runtime_error naming the path if it is not a
  // record this class wrote, std::system_error if reading fails.
  std::optional<std::uint64_t> read() const;

  // Records `length` as committed. Throws std::system_error naming the path.
  void write(std::uint64_t length);

  const std::string& path() const { return path_; }

 private:
  CommitRecord(sys::UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  sys::UniqueFd fd_;
  std::string path_;
};

}  // namespace tp0::storage
