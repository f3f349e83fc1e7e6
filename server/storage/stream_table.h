#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "common/sys/shared_mapping.h"

namespace tp0::storage {

struct JournalEntry;

// What the journal says of one stream of bets: the rows stored for one writer identity
// (to the server, one agency), in the order the writer numbered them.
struct StreamState {
  std::uint64_t position = 0;  // how many of the stream's bets are stored
  bool closed = false;         // no more of its bets may be stored
};

// An entry named a stream the table was not made for.
class UnknownStream : public std::runtime_error {
 public:
  explicit UnknownStream(std::uint32_t stream);
  std::uint32_t stream() const { return stream_; }

 private:
  std::uint32_t stream_;
};

// The journal as read so far: how many entries, the bets file's committed length, and per
// stream its position and whether it is closed. One row per stream, in the order of the
// stream ids given at construction (sorted), so a stream's row is its index among them.
// Stream 0 has no row: it numbers nothing (store_bets()), and its entries only move the
// committed length.
//
// The table lives in shared memory made before a server forks, so that every process
// reads only the entries appended since the table last took one in, and sees the same
// streams. It changes only by taking in the journal's entries (apply), in their order,
// under the bets file's exclusive lock (BetsFileWriter, recover()): those other processes
// appended, read from the journal, and those its own writer appended, as it appends them. A
// robust process-shared mutex inside guards every access, so that it can also be read
// without the file lock, and a process that dies holding it leaves a state that is
// repaired: the closed count is derived from the rows and recomputed (EOWNERDEAD).
// Lock order: the bets file's lock, then this mutex, innermost, never held across I/O.
class StreamTable {
 public:
  // `streams`: the ids with a row, in any order, without repeats and without 0.
  // Throws std::system_error when the mapping cannot be made.
  explicit StreamTable(std::vector<std::uint32_t> streams);

  // The row of `stream`, or nullopt when the table has none for it.
  std::optional<std::uint32_t> index_of(std::uint32_t stream) const;
  std::uint32_t size() const { return static_cast<std::uint32_t>(ids_.size()); }

  std::uint64_t entries() const;           // how many journal entries were taken in
  std::uint64_t committed_length() const;  // the last one's (0 when none)
  // The state of `stream` (nothing stored, open, for stream 0 or one without a row).
  StreamState stream(std::uint32_t stream) const;
  StreamState at(std::uint32_t index) const;
  // How many rows are closed.
  std::uint32_t closed_count() const;

  // True for exactly one call across all processes: the first that finds every row closed.
  bool claim_all_closed();

  // Takes in `entry`, the entries()-th one (counting from 0). The count is raised last,
  // and the rest is set from the entry alone: a process that dies in the middle leaves
  // the entry to be taken in again, with the same result. Throws UnknownStream for a
  // stream without a row (the entry is not taken in).
  void apply(const JournalEntry& entry);

  // Unmaps the table now. Throws std::system_error on failure.
  void release() { mapping_.release(); }

 private:
  struct Header;
  struct Row;
  class Lock;
  Header& header() const;
  Row* rows() const;

  std::vector<std::uint32_t> ids_;  // sorted; the same in every process, never changed
  sys::SharedMapping mapping_;
};

}  // namespace tp0::storage
