#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/sys/shared_mapping.h"
#include "common/sys/unique_fd.h"

namespace tp0::storage {

// What the journal says of one stream of bets: the rows stored for one writer identity
// (to the server, one agency), in the order the writer numbered them.
struct StreamState {
  std::uint64_t position = 0;  // how many of the stream's bets are stored
  bool closed = false;         // no more of its bets may be stored
};

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

// What the entries of a journal say, as far as they have been read. A Journal keeps its
// own, or shares one with the other processes of a server (SharedJournalState).
class JournalState {
 public:
  virtual ~JournalState() = default;
  virtual std::uint64_t entries() const = 0;           // how many entries were taken in
  virtual std::uint64_t committed_length() const = 0;  // the last one's (0 when none)
  virtual StreamState stream(std::uint32_t stream) const = 0;
  // Takes in `entry`, the entries()-th one (counting from 0). The count is raised last, and
  // the rest is set from the entry alone: a process that dies in the middle leaves the
  // entry to be taken in again, with the same result.
  virtual void apply(const JournalEntry& entry) = 0;
  virtual void clear() = 0;
};

// A state of the process's own, every stream in a map.
class LocalJournalState final : public JournalState {
 public:
  std::uint64_t entries() const override { return entries_; }
  std::uint64_t committed_length() const override { return committed_length_; }
  StreamState stream(std::uint32_t stream) const override;
  void apply(const JournalEntry& entry) override;
  void clear() override;
  const std::map<std::uint32_t, StreamState>& streams() const { return streams_; }

 private:
  std::uint64_t entries_ = 0;
  std::uint64_t committed_length_ = 0;
  std::map<std::uint32_t, StreamState> streams_;
};

// A state in shared memory, made before a server forks: every process's writer reads only
// the entries appended since the state last took one in, instead of the whole journal.
// Used only under the bets file's exclusive lock. Has room for at least `streams` streams
// (a hash table of at least twice that many slots).
class SharedJournalState final : public JournalState {
 public:
  // Throws std::system_error when the mapping cannot be made.
  explicit SharedJournalState(std::uint32_t streams);

  std::uint64_t entries() const override;
  std::uint64_t committed_length() const override;
  StreamState stream(std::uint32_t stream) const override;
  // Throws std::length_error when a stream beyond the capacity shows up.
  void apply(const JournalEntry& entry) override;
  void clear() override;

 private:
  struct Header;
  struct Slot;
  Header& header() const;
  Slot* slots() const;
  // The slot of `stream`, or the empty one where it would go; nullptr when full.
  Slot* find(std::uint32_t stream) const;

  sys::SharedMapping mapping_;
};

// The file `<bets file>.journal`: the bets file's commit log. A step of the bets file is
// committed when its entry is in the journal: the rows past the last entry's committed
// length belong to a writer that died, and are cut or ignored; the entries also say, per
// stream, how far it has been stored and whether it is closed, so that the rows and the
// stream's position are committed by one write.
//
// Each entry is kEntryBytes bytes at a multiple of kEntryBytes, written by one pwrite(2):
// it never spans two pages, so a process killed while appending it leaves all of it or
// none. Each carries a checksum of itself: after a crash of the machine, a torn or
// never-written last entry is recognised and ignored, like a step that did not happen.
// Callers hold the bets file's lock around every use.
class Journal {
 public:
  static constexpr std::size_t kEntryBytes = 32;

  // The journal's path for the bets file at `bets_path`.
  static std::string path_for(const std::string& bets_path);

  // Opens the journal for appending, creating it empty if missing. Its state is `shared`
  // when given (which must outlive it), else its own.
  // Throws std::system_error naming the journal's path.
  static Journal open_for_update(const std::string& bets_path, JournalState* shared = nullptr);

  // Opens the journal for reading; a journal that does not exist reads as empty.
  static Journal open_for_reading(const std::string& bets_path);

  // Reads the entries appended since the last call (every entry, the first time). Stops
  // before an invalid entry that ends the file (the last one, torn by a crash). Throws
  // std::runtime_error naming the journal for an invalid entry followed by valid ones,
  // std::system_error if reading fails.
  void catch_up();

  // Appends `entry` after the entries read, first cutting the torn end catch_up() left.
  // REQUIRES: catch_up() was called under the same lock. Throws std::system_error.
  void append(const JournalEntry& entry);

  // Waits until the journal's entries are on disk (fdatasync). Throws std::system_error.
  void sync();

  // Cuts the journal to its first `entries` entries, forgetting what came after.
  // REQUIRES: entries <= entries(), under the lock. Throws std::system_error.
  void cut_to(std::uint64_t entries);

  // The bets file's committed length according to the entries read (0 when none).
  std::uint64_t committed_length() const { return state_->committed_length(); }
  // The stream's state according to the entries read.
  StreamState stream(std::uint32_t stream) const { return state_->stream(stream); }
  // Every stream the entries read name. REQUIRES: the journal keeps its own state.
  const std::map<std::uint32_t, StreamState>& streams() const { return own_->streams(); }
  // How many valid entries were read.
  std::uint64_t entries() const { return state_->entries(); }

  // Every valid entry, from the first, read again from the file. Throws what catch_up() throws.
  std::vector<JournalEntry> read_all() const;

  const std::string& path() const { return path_; }

 private:
  Journal(sys::UniqueFd fd, std::string path, JournalState* shared);
  // Reads the valid entries from entry `first` on, calling `visit` for each. Returns
  // whether the file ends with bytes that are no valid entry (a torn end).
  bool read_entries(std::uint64_t first, const std::function<void(const JournalEntry&)>& visit) const;

  sys::UniqueFd fd_;  // invalid for a journal opened for reading that does not exist
  std::string path_;
  std::unique_ptr<LocalJournalState> own_;  // when no shared state was given
  JournalState* state_;                     // own_, or the shared one
  bool torn_end_ = false;  // catch_up() met bytes past the last valid entry
};

}  // namespace tp0::storage
