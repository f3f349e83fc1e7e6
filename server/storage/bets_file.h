#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/csv/reader.h"
#include "common/lottery/bet.h"
#include "common/sys/file_lock.h"
#include "common/sys/unique_fd.h"
#include "server/storage/commit_record.h"

namespace tp0::storage {

// The bets file: one CSV row per bet, `agency,first_name,last_name,document,birthdate,number`,
// readable by any RFC 4180 reader. These are the course's store_bets / load_bets, made
// safe for several processes sharing one file through flock(2), and for processes killed
// at any moment through the commit record beside it (commit_record.h).

// Appends one row per bet, all or nothing. The rows are serialised first; then, under an
// exclusive lock, rows left past the committed length by a writer that died are cut, the
// new rows are written and the commit record is moved past them. If a write fails the
// file is cut back to the committed length; if this process dies before the record is
// updated, the next writer, every reader and archive_previous_round() ignore the rows.
// Returns once every byte is in the file and committed: it then survives a crash of this
// process (there is no fsync, so surviving a crash of the machine is not promised).
// Throws std::system_error naming the path on failure, std::runtime_error when the file
// is shorter than its commit record says (something else cut it).
void store_bets(const std::string& path, std::span<const lottery::Bet> bets);

// The bets file held open for many appends, such as one connection's batches: each
// store is a store_bets() without opening the file and its commit record again, and rows
// staged one batch at a time can be stored together, all or nothing, by one write.
// The file is opened by the first store, in the process that writes: flock belongs to the
// open file description, so a descriptor inherited across fork would share the lock, not
// exclude.
class BetsFileWriter {
 public:
  explicit BetsFileWriter(std::string path) : path_(std::move(path)) {}

  // A condition checked once the exclusive lock is held, before anything is written: a
  // store it refuses writes nothing. Nothing else can store between the check and the
  // write, which is what lets the caller tie a rule of its own to what the file holds.
  using Admission = std::function<bool()>;

  // Serialises `bets` as rows for the next store_staged().
  void stage(std::span<const lottery::Bet> bets);

  // Appends every row staged since the last call, all or nothing, as store_bets() does,
  // and unstages them even when it throws or is refused. Returns false, having written
  // nothing, when `admit` (if given) refused. Throws what store_bets() throws, and
  // std::system_error naming the file the first call could not open.
  bool store_staged(const Admission& admit = nullptr);

  // stage(bets), then store_staged(admit).
  bool store(std::span<const lottery::Bet> bets, const Admission& admit = nullptr);

  // Runs `step` under the exclusive lock that every store of every process takes, so
  // that no store happens while it runs. REQUIRES: `step` stores nothing through this
  // file (flock would not let a second description of it lock). Throws what opening and
  // locking the file throw, and what `step` throws.
  void run_exclusively(const std::function<void()>& step);

  // Rows are staged and not yet stored.
  bool has_staged() const { return !rows_.empty(); }

 private:
  // Opens the file and its commit record, the first time only.
  void open_once();
  // Appends rows_ as store_bets() appends its rows, if `admit` lets it.
  bool append_staged(const Admission& admit);

  std::string path_;
  sys::UniqueFd fd_;                    // both open once a store has begun
  std::optional<CommitRecord> record_;
  std::string rows_;  // staged; kept between stores to reuse its capacity
};

// What a restarted server found of the round a previous run left behind.
struct PreviousRound {
  std::string archived_as;          // where the bets file was moved
  std::uint64_t bytes_dropped = 0;  // uncommitted rows cut from its end
};

// Starts a new round on `path`: if a bets file is there, cuts it to its committed length
// and moves it to the first free `<path>.<n>` (n = 1, 2, ...), so that the previous
// round's bets are kept but never counted twice or mixed with the new round's. Returns
// nullopt when there was no bets file. REQUIRES: no other process uses `path` yet.
// Throws std::system_error or std::runtime_error naming the file.
std::optional<PreviousRound> archive_previous_round(const std::string& path);

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

  // The committed length this reader stops at (0 when there is no file).
  std::uint64_t committed_bytes() const { return committed_; }

 private:
  std::string path_;
  std::uint64_t committed_ = 0;
  std::optional<csv::CsvReader> reader_;  // empty when the file does not exist
  // Declared after reader_ so that it is released before reader_ closes the descriptor.
  std::optional<sys::FileLock> lock_;
  std::vector<std::string> fields_;
};

// Calls `visit` for every stored bet, in file order, under one shared lock.
// Throws what BetsFileReader throws, and whatever `visit` throws.
void load_bets(const std::string& path, const std::function<void(const lottery::Bet&)>& visit);

// The committed length of the bets file (0 when there is none), read under a shared lock.
// Throws std::system_error naming the file.
std::uint64_t committed_length(const std::string& path);

}  // namespace tp0::storage
