#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv/reader.h"
#include "common/lottery/bet.h"
#include "common/sys/file_lock.h"
#include "common/sys/unique_fd.h"
#include "config/durability.h"
#include "server/storage/journal.h"
#include "server/storage/stream_table.h"

namespace tp0::storage {

// The bets file: one CSV row per bet, `agency,first_name,last_name,document,birthdate,number`,
// readable by any RFC 4180 reader. These are the course's store_bets / load_bets, made
// safe for several processes sharing one file through flock(2), for processes killed at
// any moment through the journal beside it (journal.h), and exactly once per writer's
// stream: rows are stored as the continuation of a numbered stream of bets, and the
// stream's new position is committed by the same journal entry as the rows.

// Where staged rows go in their stream.
struct StreamAppend {
  std::uint32_t stream = 0;
  // The stream's position the rows must start at; nullopt for rows outside the stream's
  // numbering, which neither need a position nor move it.
  std::optional<std::uint64_t> from;
};

enum class StoreOutcome {
  kStored,      // written and committed
  kHeld,        // every staged batch is the one the journal holds at its place: nothing written
  kClosed,      // the stream is closed: nothing was written
  kOutOfPlace,  // the stream is not at `from` (a gap, or other rows where it holds some): nothing written
};

// What a store did, and where it left the stream.
struct Stored {
  StoreOutcome outcome = StoreOutcome::kStored;
  // How many of the stream's bets the file holds once the store is done, whoever stored
  // them (0 for stream 0).
  std::uint64_t stream_end = 0;
};

// Appends one row per bet, all or nothing, outside any stream's numbering (stream 0).
// The rows are serialised first; then, under an exclusive lock, rows left past the
// committed length by a writer that died are cut, the new rows are written and an entry
// committing them is appended to the journal. If a write fails the file is cut back to
// the committed length; if this process dies before the entry is written, the next
// writer, every reader and recover() ignore the rows. Returns once every byte is in the
// file and committed: it then survives a crash of this process (surviving a crash of the
// machine takes BetsFileWriter's Durability::kMachine). Throws std::system_error naming
// the path on failure, std::runtime_error when the file is shorter than its journal says
// (something else cut it).
void store_bets(const std::string& path, std::span<const lottery::Bet> bets);

// The bets file held open for many appends, such as one connection's batches: each
// store is a store_bets() without opening the file and its commit record again, and rows
// staged one batch at a time can be stored together, all or nothing, by one write.
// The file is opened by the first store, in the process that writes: flock belongs to the
// open file description, so a descriptor inherited across fork would share the lock, not
// exclude.
//
// With Durability::kMachine each store and close waits for the disk after it has released
// the lock, so that writers of other processes go on meanwhile: rows staged together share
// one write and one sync, and the syncs of concurrent writers are served by the same
// flushes of the kernel (group commit).
class BetsFileWriter {
 public:
  // `streams` is the journal's state that the writers of all the processes of one server
  // share (StreamTable); it must outlive the writer.
  BetsFileWriter(std::string path, StreamTable& streams, Durability durability = Durability::kProcess)
      : path_(std::move(path)), durability_(durability), streams_(streams) {}

  // Serialises `bets` as rows for the next store_staged(): one batch, committed by a
  // journal entry of its own even when stored together with others.
  void stage(std::span<const lottery::Bet> bets);

  // Appends every batch staged since the last call, all or nothing, as store_bets() does,
  // as the continuation of `append.stream` at `append.from`, and unstages them even when
  // it throws or writes nothing. The stream is checked under the exclusive lock, so that
  // nothing can store between the check and the write; batches sent again are recognised
  // by their rows (kHeld), not by their place alone. Throws what store_bets() throws, and
  // std::system_error naming the file the first call could not open.
  Stored store_staged(const StreamAppend& append);

  // Closes `stream`: no more of its rows are stored, by any process, from the moment its
  // journal entry is written. Closing a closed stream writes nothing. Returns true for
  // the call that closed it. Throws what store_bets() throws.
  bool close_stream(std::uint32_t stream);

  // The stream's state as committed now. Throws what store_bets() throws.
  StreamState stream_state(std::uint32_t stream);

 private:
  struct StagedBatch {
    std::size_t end = 0;     // where its rows end in rows_
    std::uint64_t bets = 0;  // how far it moves its stream
  };

  // Opens the file and its journal, the first time only; returns the file's descriptor.
  int open_once();
  // Under the exclusive lock: takes in the entries other writers appended to the journal
  // since the table last took one in.
  void take_in_new_entries();
  // Under the exclusive lock: take_in_new_entries(), then commits a file the journal has
  // no entry for yet as it is, and cuts rows a writer that died left past the committed
  // length; returns that length.
  std::uint64_t catch_up();
  // Writes `rows` at the committed `length`, appends `entries`, which commit them, to the
  // journal, and gives the table those entries as they were written, without reading
  // them back. A failed write is cut back to `length`. REQUIRES: under the lock, after
  // catch_up().
  void commit(std::string_view rows, std::uint64_t length, std::span<const JournalEntry> entries);
  // True when the journal holds, for `stream` from position `from` on, one entry per
  // staged batch with its bets and its rows. REQUIRES: under the lock.
  bool holds_staged(std::uint32_t stream, std::uint64_t from);
  // With Durability::kMachine, waits until what this writer wrote is on disk.
  void make_durable();

  std::string path_;
  Durability durability_;
  StreamTable& streams_;
  sys::UniqueFd fd_;  // both open once a store has begun
  std::optional<Journal> journal_;
  std::string rows_;  // staged; kept between stores to reuse its capacity
  std::vector<StagedBatch> staged_;
};

// What a server resuming a round finds on disk.
struct Recovery {
  std::uint64_t entries_dropped = 0;  // steps whose rows the file did not hold whole
  std::uint64_t bytes_dropped = 0;    // rows cut from the file's end, committed by no entry
};

// Takes up the round the bets file at `path` and its journal hold, for a server that
// starts: every entry's rows are checked against its checksum, and from the first entry
// whose rows the file does not hold as written (after a crash of the machine, an entry
// may reach the disk before its rows), that entry and the later ones are dropped; the
// file is then cut to the committed length, and `streams` takes in the kept entries.
// Missing files are a round without bets: the bets file and its journal are created, the
// journal with its first entry, so that it describes every row ever written there. A bets
// file that holds bets without a journal beside it is refused, since nothing says which
// of its rows were committed. With Durability::kMachine the journal and the directory are
// synced. REQUIRES: no other process uses `path` yet, `streams` has taken in nothing.
// Throws std::system_error or std::runtime_error naming the file, UnknownStream for bets
// of a stream `streams` has no row for.
Recovery recover(const std::string& path, StreamTable& streams, Durability durability = Durability::kProcess);

// Cuts from the bets file at `path` the rows no journal entry commits, whoever's streams
// they are; returns how many bytes. A file without a journal, or missing, is left as it
// is. REQUIRES: no other process uses `path` yet. Throws what recover() throws.
std::uint64_t cut_uncommitted_rows(const std::string& path);

// Streams the committed bets back in file order, under a shared lock held for the
// reader's whole life, so no store_bets() can run in between. A file that does not exist
// yet holds no bets.
class BetsFileReader {
 public:
  // Throws std::system_error naming the path when it exists but cannot be opened or locked.
  explicit BetsFileReader(const std::string& path);

  // On success fills `bet` with the next row and returns true; returns false at the end.
  // Throws csv::CsvError naming the file and line for a row that is not a stored bet
  // (malformed CSV, wrong field count, unparsable agency or number).
  bool next(lottery::Bet& bet);

  // Like next(), but returns only bets on `number`. Rows whose last field is plainly
  // another number are skipped without further checks, which makes finding the few bets
  // on one number among many several times faster than reading them all.
  bool next_with_number(std::uint16_t number, lottery::Bet& bet);

 private:
  std::optional<csv::CsvReader> reader_;  // empty when the file does not exist
  // Declared after reader_ so that it is released before reader_ closes the descriptor.
  std::optional<sys::FileLock> lock_;
  std::vector<std::string> fields_;
};

// Calls `visit` for every stored bet, in file order, under one shared lock.
// Throws what BetsFileReader throws, and whatever `visit` throws.
void load_bets(const std::string& path, const std::function<void(const lottery::Bet&)>& visit);

}  // namespace tp0::storage
