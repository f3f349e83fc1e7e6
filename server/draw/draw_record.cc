#include "server/draw/draw_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "common/csv/reader.h"
#include "common/csv/writer.h"
#include "common/lottery/bet.h"
#include "common/sys/file_io.h"
#include "common/sys/file_lock.h"
#include "common/sys/unique_fd.h"
#include "server/storage/bets_file.h"

namespace tp0::draw {
namespace {

std::string record_path(const std::string& bets_path) { return bets_path + ".draw"; }
std::string lock_path(const std::string& bets_path) { return bets_path + ".draw.lock"; }
std::string scratch_path(const std::string& bets_path) { return bets_path + ".draw.tmp"; }

// Only a whole record is ever renamed into place: being there is being whole.
bool recorded(const std::string& bets_path) { return ::access(record_path(bets_path).c_str(), F_OK) == 0; }

// How many bytes of rows wait in memory before they are appended to their files.
constexpr std::size_t kPendingBytes = std::size_t{1} << 20;

// The record is a directory (docs/journal.md, "The draw's record"): one file per agency
// with winners, named by the agency's id, holding its winning bets as `agency,document`
// rows (RFC 4180) in bets file order. An agency without winners has no file.
std::string agency_file(const std::string& directory, std::uint32_t agency) {
  return directory + "/" + std::to_string(agency);
}

// Makes the directory `directory` (REQUIRES: absent) the draw's record of the committed
// bets of the bets file at `bets_path`, and waits until all of it is on disk. One pass
// over the bets file; winning rows wait in memory until about a MiB of them do, then
// each agency's are appended to its file, so that the memory does not grow with the
// round.
void write_record(const std::string& bets_path, const std::string& directory) {
  sys::make_directory(directory, 0700);
  // Per agency, the rows not yet appended to its file. Emptied whole at each flush, so
  // that no agency's buffer keeps the capacity it once needed.
  std::map<std::uint32_t, std::string> pending;
  std::size_t pending_bytes = 0;
  std::set<std::uint32_t> written;
  const auto flush = [&] {
    for (const auto& [agency, rows] : pending) {
      // The directory is this writer's, made just now: a file already there, or a link,
      // was put by someone else, and is an error rather than written to or through.
      const int create = written.insert(agency).second ? O_CREAT | O_EXCL : 0;
      const std::string path = agency_file(directory, agency);
      const sys::UniqueFd fd =
          sys::open_file(path, O_WRONLY | O_APPEND | O_NOFOLLOW | create, "draw record", 0600);
      sys::write_all(fd.get(), rows, "write draw record " + path);
      sys::start_writeback(fd.get());
    }
    pending.clear();
    pending_bytes = 0;
  };
  storage::BetsFileReader reader(bets_path);
  lottery::Bet bet;
  std::string row;
  // Only rows on the winning number are read whole; has_won stays the rule that decides.
  while (reader.next_with_number(lottery::kWinningNumber, bet)) {
    if (!lottery::has_won(bet)) continue;
    row.clear();
    csv::append_record(row, {std::to_string(bet.agency), bet.document});
    pending[bet.agency] += row;
    pending_bytes += row.size();
    if (pending_bytes >= kPendingBytes) flush();
  }
  flush();
  // Every file of the record, then their names, reach the disk before the record is
  // renamed into place: once visible, it is whole, whatever crash comes later, and needs
  // no checksum to tell. Each file is synced by itself, not the whole file system, whose
  // other writes (the bets file's pages among them) are not this record's to wait for.
  // Their writes were started as they were written: with a thousand agencies, syncing
  // one file at a time from scratch took seconds where this takes a fraction of one.
  for (const std::uint32_t agency : written) {
    const std::string path = agency_file(directory, agency);
    sys::sync_data(sys::open_file(path, O_RDONLY | O_NOFOLLOW, "draw record").get(),
                   "sync draw record " + path);
  }
  if (!written.empty()) sys::sync_directory_of(agency_file(directory, *written.begin()));
}

}  // namespace

bool record_draw(const std::string& bets_path, storage::Durability durability,
                 const std::function<void()>& announce) {
  if (recorded(bets_path)) return false;
  const std::string lock_file = lock_path(bets_path);
  // Never through a link: one planted here is an error (ELOOP), not a file created
  // elsewhere. Nor is it removed: another process that found it too could then remove the
  // lock file made in its place, and two writers would hold two locks.
  const sys::UniqueFd lock_fd =
      sys::open_file(lock_file, O_RDWR | O_CREAT | O_NOFOLLOW, "draw record lock", 0600);
  const sys::FileLock lock(lock_fd.get(), sys::FileLock::Mode::kExclusive, lock_file);
  // Another process may have recorded it while this one waited for the lock.
  if (recorded(bets_path)) return false;
  const std::string path = record_path(bets_path);
  const std::string scratch = scratch_path(bets_path);
  // What a writer killed before its rename left aside is no record: it is written anew.
  // What is at that name goes (a link planted there is removed, not followed; a directory
  // within it is an error), and the directory is made by mkdir(2), which fails rather than
  // use anything found there.
  sys::remove_files(scratch);
  write_record(bets_path, scratch);
  announce();
  sys::rename(scratch, path);
  if (durability == storage::Durability::kMachine) sys::sync_directory_of(path);
  return true;
}

std::uint64_t visit_winners(const std::string& bets_path, std::uint32_t agency,
                            storage::Durability durability, const std::function<void()>& announce,
                            const std::function<void(const std::string&)>& visit) {
  record_draw(bets_path, durability, announce);
  const std::string path = agency_file(record_path(bets_path), agency);
  sys::UniqueFd fd = sys::open_if_present(path, O_RDONLY, "draw record");
  // A whole record without a file for the agency: it has no winners.
  if (!fd) return 0;
  csv::CsvReader reader(std::move(fd), path);
  const std::string agency_field = std::to_string(agency);
  std::vector<std::string> fields;
  std::uint64_t documents = 0;
  while (reader.next(fields)) {
    if (fields.size() != 2 || fields[0] != agency_field) {
      throw std::runtime_error("draw record " + path + ":" + std::to_string(reader.line()) +
                               ": not a row of one of the agency's winners");
    }
    visit(fields[1]);
    ++documents;
  }
  return documents;
}

void remove_draw_record(const std::string& bets_path, storage::Durability durability) {
  const std::string path = record_path(bets_path);
  const std::string scratch = scratch_path(bets_path);
  sys::remove_files(scratch);
  const bool was_recorded = recorded(bets_path);
  // Set aside by one rename, so that a kill leaves the record whole or gone, never in part;
  // what is left aside is no record, and goes now or before the next one is written.
  if (was_recorded) sys::rename(path, scratch);
  sys::remove_files(scratch);
  sys::remove_if_present(lock_path(bets_path), "remove " + lock_path(bets_path));
  if (was_recorded && durability == storage::Durability::kMachine) sys::sync_directory_of(path);
}

}  // namespace tp0::draw
