#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tp0::storage {

// The byte layout of the bets file's journal (docs/journal.md): a sequence of entries of
// kJournalEntryBytes each, one per step of the bets file, at multiples of their size so
// that none spans two pages. Integers are little-endian whatever the host.
//
//   offset  size  field
//   0       1     kind: 1 stored (rows appended), 2 closed (a stream closed)
//   1       3     zero
//   4       4     stream: the agency whose stream the step belongs to (0: none)
//   8       8     stream_position: the stream's position after the step
//   16      8     committed_length: the bets file's committed length after the step
//   24      4     rows_checksum: FNV-1a (32 bits) of the rows the step appended
//   28      4     FNV-1a (32 bits) of bytes 0 to 27
inline constexpr std::size_t kJournalEntryBytes = 32;

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
  std::uint32_t rows_checksum = 0;     // rows_checksum() of the rows this step appended
};

// The checksum a kStored entry keeps of its rows (32-bit FNV-1a): recovery after a crash of
// the machine compares it with the rows the file holds, and drops the steps whose rows
// never reached the disk.
std::uint32_t rows_checksum(std::string_view rows);
// The checksum of the rows whose checksum is `before` followed by `rows`, so that rows
// read in pieces are checked as one: rows_checksum(b, rows_checksum(a)) == rows_checksum(a + b).
std::uint32_t rows_checksum(std::string_view rows, std::uint32_t before);

using JournalEntryBytes = std::array<unsigned char, kJournalEntryBytes>;

JournalEntryBytes encode_entry(const JournalEntry& entry);
// The entry in `bytes` (kJournalEntryBytes of them), or nullopt when they are not one
// encode_entry() wrote: a torn, never-written or damaged entry.
std::optional<JournalEntry> decode_entry(const unsigned char* bytes);

}  // namespace tp0::storage
