#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/sys/unique_fd.h"

namespace tp0::storage {

// One step of the bets file's history, appended once the step is whole.
struct JournalEntry {
  enum class Kind : std::uint8_t {
    kStored = 1,  // rows were appended: the file's committed length moved on
    kClosed = 2,  // the stream was closed; the file did not change
  };
  Kind kind = Kind::kStored;
  std::uint32_t stream = 0;
  std::uint64_t stream_position = 0;   // the stream's position after this step
  std::uint64_t committed_length = 0;  // the bets file's committed length after it
  std::uint32_t rows_checksum = 0;     // checksum() of the rows this step appended
};

// The checksum (32-bit FNV-1a) a kStored entry keeps of its rows, and each entry of
// itself: recovery after a crash of the machine compares it with the rows the file holds,
// and drops the steps whose rows never reached the disk.
std::uint32_t checksum(std::string_view bytes);

// The file `<bets file>.journal`: the bets file's commit log. A step of the bets file is
// committed when its entry is in the journal: the rows past the last entry's committed
// length belong to a writer that died, and are cut or ignored; the entries also say, per
// stream, how far it has been stored and whether it is closed, so that the rows and the
// stream's position are committed by one write.
//
// The byte layout (docs/journal.md): a sequence of entries of kEntryBytes each, one per
// step of the bets file, at multiples of their size so that none spans two pages.
// Integers are little-endian whatever the host.
//
//   offset  size  field
//   0       1     kind: 1 stored (rows appended), 2 closed (a stream closed)
//   1       3     zero
//   4       4     stream: the agency whose stream the step belongs to (0: none)
//   8       8     stream_position: the stream's position after the step
//   16      8     committed_length: the bets file's committed length after the step
//   24      4     rows_checksum: checksum() of the rows the step appended
//   28      4     checksum() of bytes 0 to 27
//
// Each entry carries a checksum of itself, so that a process killed while appending
// leaves each entry whole or absent, and after a crash of the machine a torn or
// never-written last entry is recognised and ignored, like a step that did not happen.
// The journal reads and writes entries and nothing else: what they say is kept by the
// StreamTable that takes them in. Callers hold the bets file's lock around every use.
class Journal {
 public:
  static constexpr std::size_t kEntryBytes = 32;

  // The journal's path for the bets file at `bets_path`.
  static std::string path_for(const std::string& bets_path);

  enum class Access { kRead, kUpdate };

  // Opens the journal of the bets file at `bets_path`: for kUpdate, to append, creating it
  // empty if missing; for kRead, a journal that does not exist reads as empty. Throws
  // std::system_error naming the journal's path.
  Journal(const std::string& bets_path, Access access);

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

  // The committed length the last valid entry names; nullopt when there is none. Throws
  // what read_from() throws.
  std::optional<std::uint64_t> committed_length();

 private:
  std::string path_;
  sys::UniqueFd fd_;       // invalid for a journal opened for reading that does not exist
  bool torn_end_ = false;  // read_from() met bytes past the last valid entry
};

}  // namespace tp0::storage
