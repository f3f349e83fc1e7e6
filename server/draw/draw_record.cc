#include "server/draw/draw_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <optional>
#include <stdexcept>

#include "common/csv/reader.h"
#include "common/csv/writer.h"
#include "common/lottery/bet.h"
#include "common/sys/file_io.h"
#include "common/sys/file_lock.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "server/storage/bets_file.h"
#include "common/text/decimal.h"
#include "server/storage/journal.h"

namespace tp0::draw {
namespace {

std::string record_path(const std::string& bets_path) { return bets_path + ".draw"; }
std::string lock_path(const std::string& bets_path) { return bets_path + ".draw.lock"; }
std::string scratch_path(const std::string& bets_path) { return bets_path + ".draw.tmp"; }

using Winners = std::map<std::uint32_t, std::vector<std::string>>;

// The winners in the record at `path`, by agency; nullopt when there is none or its header
// or checksum is wrong (a record torn by a crash of the machine).
std::optional<Winners> read_record(const std::string& path) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw sys::last_error("open draw record " + path);
  }
  const std::string bytes = sys::read_all(fd.get(), "read draw record " + path);
  const std::string_view content(bytes);
  const std::size_t header_end = content.find('\n');
  const std::size_t comma = content.find(',');
  if (header_end == std::string_view::npos || comma > header_end) return std::nullopt;
  const auto checksum = text::parse_decimal<std::uint32_t>(content.substr(comma + 1, header_end - comma - 1));
  if (!text::parse_decimal<std::uint64_t>(content.substr(0, comma)) ||
      checksum != storage::rows_checksum(content.substr(header_end + 1))) {
    return std::nullopt;
  }
  if (::lseek(fd.get(), 0, SEEK_SET) == -1) throw sys::last_error("read draw record " + path);
  csv::CsvReader reader(std::move(fd), path);
  std::vector<std::string> fields;
  reader.next(fields);  // the header, checked above
  const auto fail = [&](const std::string& problem) {
    throw std::runtime_error("draw record " + path + ":" + std::to_string(reader.line()) + ": " + problem);
  };
  Winners winners;
  while (reader.next(fields)) {
    if (fields.size() != 2) fail("a row without 2 fields");
    const auto agency = text::parse_decimal<std::uint32_t>(fields[0]);
    if (!agency) fail("agency \"" + fields[0] + "\" is not a number");
    winners[*agency].push_back(std::move(fields[1]));
  }
  return winners;
}

// Scans the committed bets and writes the record aside, synced as `durability` asks;
// returns where it is.
std::string write_scratch_record(const std::string& bets_path, storage::Durability durability) {
  std::string content;
  {
    storage::BetsFileReader reader(bets_path);
    lottery::Bet bet;
    std::string rows;
    // Only rows on the winning number are read whole; has_won stays the rule that decides.
    while (reader.next_with_number(lottery::kWinningNumber, bet)) {
      if (lottery::has_won(bet)) csv::append_record(rows, {std::to_string(bet.agency), bet.document});
    }
    csv::append_record(content,
                       {std::to_string(reader.committed_bytes()), std::to_string(storage::rows_checksum(rows))});
    content += rows;
  }
  std::string scratch = scratch_path(bets_path);
  sys::UniqueFd fd(sys::retry_on_eintr(
      [&] { return ::open(scratch.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("create draw record " + scratch);
  sys::write_all(fd.get(), content, "write draw record " + scratch);
  if (durability == storage::Durability::kMachine) sys::sync_data(fd.get(), "sync draw record " + scratch);
  fd.close();
  return scratch;
}

}  // namespace

bool record_draw(const std::string& bets_path, storage::Durability durability, const std::function<void()>& announce) {
  const std::string path = record_path(bets_path);
  if (read_record(path)) return false;
  const std::string lock_file = lock_path(bets_path);
  const sys::UniqueFd lock_fd(
      sys::retry_on_eintr([&] { return ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); }));
  if (!lock_fd) throw sys::last_error("open draw record lock " + lock_file);
  const sys::FileLock lock(lock_fd.get(), sys::FileLock::Mode::kExclusive, lock_file);
  if (read_record(path)) return false;
  const std::string scratch = write_scratch_record(bets_path, durability);
  announce();
  if (::rename(scratch.c_str(), path.c_str()) == -1) throw sys::last_error("rename " + scratch + " to " + path);
  if (durability == storage::Durability::kMachine) sys::sync_directory_of(path);
  return true;
}

std::vector<std::string> RecordedWinners::of(std::uint32_t agency) const {
  const auto found = documents_.find(agency);
  return found == documents_.end() ? std::vector<std::string>{} : found->second;
}

RecordedWinners recorded_winners(const std::string& bets_path, storage::Durability durability,
                                 const std::function<void()>& announce) {
  const std::string path = record_path(bets_path);
  std::optional<Winners> documents = read_record(path);
  if (!documents) {
    record_draw(bets_path, durability, announce);
    documents = read_record(path);
    if (!documents) throw std::runtime_error("draw record " + path + " is not whole after it was written");
  }
  RecordedWinners winners;
  winners.documents_ = std::move(*documents);
  return winners;
}

void remove_draw_record(const std::string& bets_path) {
  for (const auto& path : {record_path(bets_path), scratch_path(bets_path), lock_path(bets_path)}) {
    sys::remove_if_present(path, "remove " + path);
  }
}

}  // namespace tp0::draw
