#include "server/storage/bets_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "common/csv/writer.h"
#include "common/lottery/bet_parsing.h"
#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "server/storage/commit_record.h"
#include "server/storage/decimal.h"

namespace tp0::storage {
namespace {

constexpr std::size_t kFieldsPerRow = 6;

void append_rows(std::span<const lottery::Bet> bets, std::string& rows) {
  for (const auto& bet : bets) {
    csv::append_record(rows, {std::to_string(bet.agency), bet.first_name, bet.last_name,
                              bet.document, bet.birthdate, std::to_string(bet.number)});
  }
}

sys::UniqueFd open_for_append(const std::string& path) {
  sys::UniqueFd fd(sys::retry_on_eintr(
      [&] { return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("open bets file " + path);
  return fd;
}

std::uint64_t file_size(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) == -1) throw sys::last_error("stat bets file " + path);
  return static_cast<std::uint64_t>(info.st_size);
}

// Returns the committed length of the bets file open as `fd`, first cutting the rows a
// writer that died left past it. A file without a record yet is committed as it is, and
// the record is written before any row is appended, so that a writer dying in its first
// append leaves a record to cut back to. REQUIRES: the exclusive lock is held.
std::uint64_t cut_to_committed(int fd, const std::string& path, CommitRecord& record) {
  const std::uint64_t size = file_size(fd, path);
  const std::optional<std::uint64_t> committed = record.read();
  if (!committed) {
    record.write(size);
    return size;
  }
  if (size < *committed) {
    throw std::runtime_error("bets file " + path + " holds " + std::to_string(size) +
                             " bytes but " + record.path() + " says " + std::to_string(*committed) +
                             " were stored: the file was cut by something else");
  }
  if (size > *committed &&
      sys::retry_on_eintr([&] { return ::ftruncate(fd, static_cast<off_t>(*committed)); }) == -1) {
    throw sys::last_error("cut uncommitted rows from " + path);
  }
  return *committed;
}

}  // namespace

void store_bets(const std::string& path, std::span<const lottery::Bet> bets) {
  if (bets.empty()) return;
  BetsFileWriter(path).store(bets);
}

void BetsFileWriter::stage(std::span<const lottery::Bet> bets) { append_rows(bets, rows_); }

bool BetsFileWriter::store(std::span<const lottery::Bet> bets, const Admission& admit) {
  stage(bets);
  return store_staged(admit);
}

bool BetsFileWriter::store_staged(const Admission& admit) {
  if (rows_.empty()) return true;
  // Staged rows are written by this call or by none: a failed or refused store does not
  // leave them for the next one.
  bool stored = false;
  try {
    stored = append_staged(admit);
  } catch (...) {
    rows_.clear();
    throw;
  }
  rows_.clear();
  return stored;
}

void BetsFileWriter::run_exclusively(const std::function<void()>& step) {
  open_once();
  const sys::FileLock lock(fd_.get(), sys::FileLock::Mode::kExclusive, path_);
  step();
}

void BetsFileWriter::open_once() {
  if (record_) return;
  sys::UniqueFd fd = open_for_append(path_);
  CommitRecord record = CommitRecord::open_for_update(path_);
  fd_ = std::move(fd);
  record_.emplace(std::move(record));
}

bool BetsFileWriter::append_staged(const Admission& admit) {
  open_once();
  const sys::FileLock lock(fd_.get(), sys::FileLock::Mode::kExclusive, path_);
  if (admit && !admit()) return false;
  const std::uint64_t committed = cut_to_committed(fd_.get(), path_, *record_);
  try {
    sys::write_all(fd_.get(), rows_, "append bets to " + path_);
    record_->write(committed + rows_.size());
  } catch (...) {
    // Still under the lock, so nobody has appended after our partial rows.
    if (sys::retry_on_eintr([&] { return ::ftruncate(fd_.get(), static_cast<off_t>(committed)); }) == -1) {
      throw sys::last_error("undo partial append to " + path_);
    }
    throw;
  }
  return true;
}

std::optional<PreviousRound> archive_previous_round(const std::string& path) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); }));
  const std::string record_path = CommitRecord::path_for(path);
  if (!fd) {
    if (errno != ENOENT) throw sys::last_error("open bets file " + path);
    // A record without its file describes nothing.
    if (::unlink(record_path.c_str()) == -1 && errno != ENOENT) {
      throw sys::last_error("remove commit record " + record_path);
    }
    return std::nullopt;
  }
  PreviousRound round;
  {
    const sys::FileLock lock(fd.get(), sys::FileLock::Mode::kExclusive, path);
    CommitRecord record = CommitRecord::open_for_update(path);
    const std::uint64_t size = file_size(fd.get(), path);
    round.bytes_dropped = size - cut_to_committed(fd.get(), path, record);
  }
  // link() refuses an existing name, so an older archive is never overwritten.
  for (unsigned n = 1;; ++n) {
    round.archived_as = path + "." + std::to_string(n);
    if (::link(path.c_str(), round.archived_as.c_str()) == 0) break;
    if (errno != EEXIST) throw sys::last_error("archive bets file " + path + " as " + round.archived_as);
  }
  if (::unlink(path.c_str()) == -1) throw sys::last_error("remove bets file " + path);
  if (::unlink(record_path.c_str()) == -1) throw sys::last_error("remove commit record " + record_path);
  return round;
}

BetsFileReader::BetsFileReader(const std::string& path) : path_(path) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) {
    if (errno == ENOENT) return;
    throw sys::last_error("open bets file " + path);
  }
  lock_.emplace(fd.get(), sys::FileLock::Mode::kShared, path);
  const std::optional<std::uint64_t> committed = CommitRecord::open_for_reading(path).read();
  // A file without a record was never written by store_bets(): all of it counts.
  committed_ = committed ? *committed : file_size(fd.get(), path);
  reader_.emplace(std::move(fd), path, committed_);
}

bool BetsFileReader::next(lottery::Bet& bet) {
  if (!reader_ || !reader_->next(fields_)) return false;
  const auto fail = [&](const std::string& problem) {
    throw csv::CsvError(path_ + ":" + std::to_string(reader_->line()) + ": " + problem);
  };
  if (fields_.size() != kFieldsPerRow) {
    fail("expected " + std::to_string(kFieldsPerRow) + " fields, found " +
         std::to_string(fields_.size()));
  }
  const auto agency = parse_decimal<std::uint32_t>(fields_[0]);
  if (!agency) fail("agency \"" + fields_[0] + "\" is not a number");
  const auto number = lottery::parse_number(fields_[5]);
  if (!number) {
    fail("number \"" + fields_[5] + "\" is not a number from 0 to " +
         std::to_string(lottery::kMaxNumber));
  }
  bet.agency = *agency;
  // Swapping hands the strings over without copying; fields_ is refilled on the next call.
  bet.first_name.swap(fields_[1]);
  bet.last_name.swap(fields_[2]);
  bet.document.swap(fields_[3]);
  bet.birthdate.swap(fields_[4]);
  bet.number = *number;
  return true;
}

bool BetsFileReader::next_with_number(std::uint16_t number, lottery::Bet& bet) {
  // The number is the last field: a row whose last field is another number is skipped
  // without being split, which is nearly every row when one number is looked for.
  const auto another_number = [number](std::string_view row) {
    const auto last_comma = row.rfind(',');
    if (last_comma == std::string_view::npos) return false;
    const auto found = lottery::parse_number(row.substr(last_comma + 1));
    return found && *found != number;
  };
  while (reader_) {
    while (reader_->skip_plain_line_if(another_number)) {
    }
    if (!next(bet)) return false;
    if (bet.number == number) return true;
  }
  return false;
}

void load_bets(const std::string& path, const std::function<void(const lottery::Bet&)>& visit) {
  BetsFileReader reader(path);
  lottery::Bet bet;
  while (reader.next(bet)) visit(bet);
}

std::uint64_t committed_length(const std::string& path) { return BetsFileReader(path).committed_bytes(); }

}  // namespace tp0::storage
