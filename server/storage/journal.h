#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/sys/unique_fd.h"
#include "server/storage/journal_format.h"

namespace tp0::storage {

// The file `<bets file>.journal`: the bets file's commit log. A step of the bets file is
// committed when its entry is in the journal: the rows past the last entry's committed
// length belong to a writer that died, and are cut or ignored; the entries also say, per
// stream, how far it has been stored and whether it is closed, so that the rows and the
// stream's position are committed by one write.
//
// Entries are laid out as journal_format.h says, each carrying a checksum of itself, so
// that a process killed while appending leaves each entry whole or absent, and after a
// crash of the machine a torn or never-written last entry is recognised and ignored,
// like a step that did not happen. The journal reads and writes entries and nothing
// else: what they say is kept by the StreamTable that takes them in.
// Callers hold the bets file's lock around every use.
class Journal {
 public:
  static constexpr std::size_t kEntryBytes = kJournalEntryBytes;

  // The journal's path for the bets file at `bets_path`.
  static std::string path_for(const std::string& bets_path);

  // Opens the journal for appending, creating it empty if missing.
  // Throws std::system_error naming the journal's path.
  static Journal open_for_update(const std::string& bets_path);

  // Opens the journal for reading; a journal that does not exist reads as empty.
  static Journal open_for_reading(const std::string& bets_path);

  // Calls `visit` for each valid entry from the `first`-th on (counting from 0), and
  // remembers whether the file ends with bytes that are no valid entry (torn by a crash),
  // for append(). Throws std::runtime_error naming the journal for an invalid entry
  // followed by valid ones, std::system_error if reading fails, and what `visit` throws.
  void read_from(std::uint64_t first, const std::function<void(const JournalEntry&)>& visit);

  // Appends `entries` as the `at`-th entry and the ones after it, by one write, first
  // cutting the torn end read_from() met. A write cut short by a crash leaves a prefix of
  // them: each entry commits its own step; a write that fails is cut back.
  // REQUIRES: read_from() read the `at` entries before, under the same lock. Throws
  // std::system_error.
  void append(std::span<const JournalEntry> entries, std::uint64_t at);

  // Waits until the journal's entries are on disk (fdatasync). Throws std::system_error.
  void sync();

  // Cuts the journal to its first `entries` entries, forgetting what came after.
  // REQUIRES: under the lock. Throws std::system_error.
  void cut_to(std::uint64_t entries);

  // Every valid entry, from the first, read again from the file. Throws what read_from() throws.
  std::vector<JournalEntry> read_all() const;

  // The committed length the last valid entry names; nullopt when there is none.
  std::optional<std::uint64_t> committed_length() const;

  const std::string& path() const { return path_; }

 private:
  Journal(sys::UniqueFd fd, std::string path);
  // Reads the valid entries from entry `first` on, calling `visit` for each. Returns
  // whether the file ends with bytes that are no valid entry (a torn end).
  bool read_entries(std::uint64_t first, const std::function<void(const JournalEntry&)>& visit) const;

  sys::UniqueFd fd_;  // invalid for a journal opened for reading that does not exist
  std::string path_;
  bool torn_end_ = false;  // read_from() met bytes past the last valid entry
};

}  // namespace tp0::storage
