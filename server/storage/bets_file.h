#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/csv/reader.h"
#include "common/lottery/bet.h"
#include "common/sys/file_lock.h"
#include "common/sys/unique_fd.h"

namespace tp0::storage {

// The bets file: one CSV row per bet, `agency,first_name,last_name,document,birthdate,number`,
// readable by any RFC 4180 reader. These are the course's store_bets / load_bets.

// Appends one row per bet, all or nothing: the rows are serialised first, then written
// under an exclusive lock; if a write fails, the file is cut back to its previous size
// before the error propagates. Returns once every byte is in the file, which survives a
// crash of this process (no fsync: a power cut is out of scope).
// The file is opened by this call itself, because flock belongs to the open file
// description: one inherited across fork would not exclude the other processes.
// Throws std::system_error naming the path.
void store_bets(const std::string& path, std::span<const lottery::Bet> bets);

// Streams the bets back under a shared lock, held for the reader's whole life.
// A file that does not exist yet holds no bets.
class BetsFileReader {
 public:
  // Throws std::system_error naming the path when it exists but cannot be opened or locked.
  explicit BetsFileReader(const std::string& path);

  // Fills `bet` with the next row. Returns false at the end. Throws csv::CsvError naming
  // the file and line for a row that is not a stored bet.
  bool next(lottery::Bet& bet);

 private:
  std::string path_;
  std::optional<csv::CsvReader> reader_;
  std::optional<sys::FileLock> lock_;
  std::vector<std::string> fields_;
};

// Calls `visit` for every stored bet, in file order.
void load_bets(const std::string& path, const std::function<void(const lottery::Bet&)>& visit);

// The documents of `agency`'s winning bets (has_won), in file order.
std::vector<std::string> winning_documents(const std::string& path, std::uint32_t agency);

}  // namespace tp0::storage
