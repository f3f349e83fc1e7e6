#include "server/draw/draw_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

#include "common/csv/reader.h"
#include "common/sys/file_io.h"
#include "common/sys/file_lock.h"
#include "common/sys/unique_fd.h"
#include "server/draw/record_writer.h"

namespace tp0::draw {
namespace {

std::string record_path(const std::string& bets_path) { return bets_path + ".draw"; }
std::string lock_path(const std::string& bets_path) { return bets_path + ".draw.lock"; }
std::string scratch_path(const std::string& bets_path) { return bets_path + ".draw.tmp"; }

// Only a whole record is ever renamed into place: being there is being whole.
bool recorded(const std::string& bets_path) { return ::access(record_path(bets_path).c_str(), F_OK) == 0; }

}  // namespace

bool record_draw(const std::string& bets_path, storage::Durability durability,
                 const std::function<void()>& announce) {
  if (recorded(bets_path)) return false;
  const std::string lock_file = lock_path(bets_path);
  const sys::UniqueFd lock_fd = sys::open_file(lock_file, O_RDWR | O_CREAT, "draw record lock", 0644);
  const sys::FileLock lock(lock_fd.get(), sys::FileLock::Mode::kExclusive, lock_file);
  // Another process may have recorded it while this one waited for the lock.
  if (recorded(bets_path)) return false;
  const std::string path = record_path(bets_path);
  const std::string scratch = scratch_path(bets_path);
  // What a writer killed before its rename left aside is no record: it is written anew.
  sys::remove_tree(scratch);
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
  sys::remove_tree(scratch);
  const bool was_recorded = recorded(bets_path);
  // Set aside by one rename, so that a kill leaves the record whole or gone, never in part;
  // what is left aside is no record, and goes now or before the next one is written.
  if (was_recorded) sys::rename(path, scratch);
  sys::remove_tree(scratch);
  sys::remove_if_present(lock_path(bets_path), "remove " + lock_path(bets_path));
  if (was_recorded && durability == storage::Durability::kMachine) sys::sync_directory_of(path);
}

}  // namespace tp0::draw
