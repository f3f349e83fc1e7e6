#include "server/storage/round_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "server/storage/journal.h"

namespace tp0::storage {

std::optional<PreviousRound> archive_previous_round(const std::string& path, Durability durability) {
  const std::string journal = Journal::path_for(path);
  std::optional<PreviousRound> round;
  if (::access(path.c_str(), F_OK) == 0) {
    round.emplace();
    const bool has_journal = ::access(journal.c_str(), F_OK) == 0;
    round->bytes_dropped = cut_uncommitted_rows(path);
    unsigned n = 1;
    while (::access((path + "." + std::to_string(n)).c_str(), F_OK) == 0) ++n;
    round->archived_as = path + "." + std::to_string(n);
    // A journal named for a free number is one an archiving killed before its rename left:
    // the round it describes is still at `path`.
    const std::string archived_journal = Journal::path_for(round->archived_as);
    sys::remove_if_present(archived_journal, "remove journal " + archived_journal);
    if (has_journal && ::link(journal.c_str(), archived_journal.c_str()) == -1) {
      throw sys::last_error("archive journal " + journal + " as " + archived_journal);
    }
    // RENAME_NOREPLACE: an older archive is never overwritten.
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, round->archived_as.c_str(), RENAME_NOREPLACE) == -1) {
      throw sys::last_error("archive bets file " + path + " as " + round->archived_as);
    }
  }
  sys::remove_if_present(journal, "remove journal " + journal);
  if (durability == Durability::kMachine) sys::sync_directory_of(path);
  return round;
}

}  // namespace tp0::storage
