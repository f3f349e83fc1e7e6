#include "server/draw/draw_record.h"

#include <fcntl.h>

#include <optional>
#include <stdexcept>

#include "common/sys/file_io.h"
#include "common/sys/file_lock.h"
#include "common/sys/unique_fd.h"
#include "server/draw/record_reader.h"
#include "server/draw/record_writer.h"

namespace tp0::draw {
namespace {

std::string record_path(const std::string& bets_path) { return bets_path + ".draw"; }
std::string lock_path(const std::string& bets_path) { return bets_path + ".draw.lock"; }
std::string scratch_path(const std::string& bets_path) { return bets_path + ".draw.tmp"; }

// Unless `recorded` says a record is there, under the record's lock (and again once
// holding it, since another process may have written one meanwhile): writes the record
// aside, announces it and renames it into place. Returns true when it wrote it.
bool record_unless(const std::string& bets_path, storage::Durability durability, const std::function<void()>& announce,
                   const std::function<bool()>& recorded) {
  if (recorded()) return false;
  const std::string lock_file = lock_path(bets_path);
  const sys::UniqueFd lock_fd = sys::open_file(lock_file, O_RDWR | O_CREAT, "draw record lock", 0644);
  const sys::FileLock lock(lock_fd.get(), sys::FileLock::Mode::kExclusive, lock_file);
  if (recorded()) return false;
  const std::string path = record_path(bets_path);
  const std::string scratch = scratch_path(bets_path);
  write_record(bets_path, scratch, durability);
  announce();
  sys::rename(scratch, path);
  if (durability == storage::Durability::kMachine) sys::sync_directory_of(path);
  return true;
}

struct LocatedPart {
  sys::UniqueFd fd;  // the record the part was checked in
  Part part;
};

// `agency`'s part of the record at `path`, checked; nullopt when there is no record or it
// is torn there.
std::optional<LocatedPart> locate(const std::string& path, std::uint32_t agency) {
  sys::UniqueFd fd = open_record(path);
  if (!fd) return std::nullopt;
  const auto part = checked_part(fd.get(), path, agency);
  if (!part) return std::nullopt;
  return LocatedPart{std::move(fd), *part};
}

}  // namespace

bool record_draw(const std::string& bets_path, storage::Durability durability, const std::function<void()>& announce) {
  const std::string path = record_path(bets_path);
  return record_unless(bets_path, durability, announce, [&] {
    const sys::UniqueFd fd = open_record(path);
    return fd && is_whole(fd.get(), path);
  });
}

std::uint64_t visit_winners(const std::string& bets_path, std::uint32_t agency, storage::Durability durability,
                            const std::function<void()>& announce,
                            const std::function<void(const std::string&)>& visit) {
  const std::string path = record_path(bets_path);
  std::optional<LocatedPart> located = locate(path, agency);
  if (!located) {
    record_unless(bets_path, durability, announce, [&] { return locate(path, agency).has_value(); });
    located = locate(path, agency);
    if (!located) throw std::runtime_error("draw record " + path + " is not whole after it was written");
  }
  // The descriptor reads the record the part was checked in, even if it is renamed over meanwhile.
  return visit_documents(std::move(located->fd), path, located->part, visit);
}

void remove_draw_record(const std::string& bets_path, storage::Durability durability) {
  const std::string path = record_path(bets_path);
  const bool recorded = sys::open_if_present(path, O_RDONLY, "draw record").valid();
  for (const auto& file : {path, scratch_path(bets_path), lock_path(bets_path)}) {
    sys::remove_if_present(file, "remove " + file);
  }
  if (recorded && durability == storage::Durability::kMachine) sys::sync_directory_of(path);
}

}  // namespace tp0::draw
