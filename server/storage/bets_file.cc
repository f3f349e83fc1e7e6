#include "server/storage/bets_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <string_view>
#include <utility>

#include "common/csv/writer.h"
#include "common/lottery/bet_parsing.h"
#include "common/sys/file_io.h"
#include "common/sys/unique_fd.h"
#include "common/text/decimal.h"
#include "server/storage/journal.h"

namespace tp0::storage {
namespace {

constexpr std::size_t kFieldsPerRow = 6;

void append_rows(std::span<const lottery::Bet> bets, std::string& rows) {
  for (const auto& bet : bets) {
    csv::append_record(rows, {std::to_string(bet.agency), bet.first_name, bet.last_name, bet.document,
                              bet.birthdate, std::to_string(bet.number)});
  }
}

std::uint64_t file_size(int fd, const std::string& path) {
  return sys::file_size(fd, "stat bets file " + path);
}

// Cuts the rows past `committed` from the bets file open as `fd`, of `size` bytes: a
// writer that died left them. Throws when the file is shorter than its journal says.
void cut_uncommitted(int fd, const std::string& path, std::uint64_t size, std::uint64_t committed,
                     const Journal& journal) {
  if (size < committed) {
    throw std::runtime_error("bets file " + path + " holds " + std::to_string(size) + " bytes but " +
                             journal.path() + " says " + std::to_string(committed) +
                             " were stored: the file was cut by something else");
  }
  if (size > committed) sys::truncate(fd, committed, "cut uncommitted rows from " + path);
}

// The journal's first entry, committing the `size` bytes the bets file open as `fd` holds
// before the journal has any entry, so that a writer dying in its first append leaves an
// entry to cut back to.
JournalEntry first_entry(int fd, const std::string& path, std::uint64_t size) {
  std::string rows;
  sys::read_at(fd, 0, size, rows, "read bets file " + path);
  return {JournalEntry::Kind::kStored, 0, 0, size, rows_checksum(rows)};
}

}  // namespace

void store_bets(const std::string& path, std::span<const lottery::Bet> bets) {
  if (bets.empty()) return;
  StreamTable no_streams({});
  BetsFileWriter(path, no_streams).store(bets);
}

void BetsFileWriter::stage(std::span<const lottery::Bet> bets) {
  append_rows(bets, rows_);
  staged_.push_back({rows_.size(), bets.size()});
}

Stored BetsFileWriter::store(std::span<const lottery::Bet> bets, const StreamAppend& append) {
  stage(bets);
  return store_staged(append);
}

Stored BetsFileWriter::store_staged(const StreamAppend& append) {
  // Staged rows are written by this call or by none: a failed or refused store does not
  // leave them for the next one.
  Stored stored;
  try {
    stored = append_staged(append);
  } catch (...) {
    rows_.clear();
    staged_.clear();
    throw;
  }
  rows_.clear();
  staged_.clear();
  return stored;
}

void BetsFileWriter::open_once() {
  if (journal_) return;
  sys::UniqueFd fd = sys::open_file(path_, O_WRONLY | O_APPEND | O_CREAT, "bets file", 0644);
  Journal journal = Journal::open_for_update(path_);
  fd_ = std::move(fd);
  journal_.emplace(std::move(journal));
}

std::uint64_t BetsFileWriter::catch_up() {
  streams_.catch_up(*journal_);
  const std::uint64_t size = file_size(fd_.get(), path_);
  if (streams_.entries() == 0) {
    const JournalEntry first = first_entry(fd_.get(), path_, size);
    commit(std::span(&first, 1));
    return size;
  }
  const std::uint64_t committed = streams_.committed_length();
  cut_uncommitted(fd_.get(), path_, size, committed, *journal_);
  return committed;
}

void BetsFileWriter::commit(std::span<const JournalEntry> entries) {
  journal_->append(entries, streams_.entries());
  // The table learns the new entries as it learns anyone's: from the journal.
  streams_.catch_up(*journal_);
}

Stored BetsFileWriter::append_staged(const StreamAppend& append) {
  open_once();
  {
    const sys::FileLock lock(fd_.get(), sys::FileLock::Mode::kExclusive, path_);
    std::uint64_t committed = catch_up();
    const StreamState stream = streams_.stream(append.stream);
    if (stream.closed) return {StoreOutcome::kClosed, stream.position};
    if (append.from && stream.position != *append.from) {
      const bool held = holds_staged(append.stream, *append.from);
      return {held ? StoreOutcome::kHeld : StoreOutcome::kOutOfPlace, stream.position};
    }
    if (rows_.empty()) return {StoreOutcome::kStored, stream.position};
    std::vector<JournalEntry> entries;
    std::uint64_t position = stream.position;
    std::size_t begin = 0;
    for (const StagedBatch& batch : staged_) {
      if (append.from) position += batch.bets;
      committed += batch.end - begin;
      entries.push_back({JournalEntry::Kind::kStored, append.stream, position, committed,
                         rows_checksum(std::string_view(rows_).substr(begin, batch.end - begin))});
      begin = batch.end;
    }
    const std::uint64_t before = committed - rows_.size();
    try {
      sys::write_all(fd_.get(), rows_, "append bets to " + path_);
      commit(entries);
    } catch (...) {
      // Still under the lock, so nobody has appended after our partial rows.
      sys::truncate(fd_.get(), before, "undo partial append to " + path_);
      throw;
    }
  }
  make_durable();
  return {StoreOutcome::kStored, streams_.stream(append.stream).position};
}

bool BetsFileWriter::holds_staged(std::uint32_t stream, std::uint64_t from) const {
  std::size_t next = 0;        // the staged batch to match next
  std::size_t begin = 0;       // where its rows begin in rows_
  std::uint64_t position = 0;  // the stream's position before the entry read
  for (const JournalEntry& entry : journal_->read_all()) {
    // Rows outside the numbering (a single bet) take no place in the stream.
    if (entry.stream != stream || entry.kind != JournalEntry::Kind::kStored ||
        entry.stream_position == position) {
      continue;
    }
    const std::uint64_t before = std::exchange(position, entry.stream_position);
    if (before < from) continue;
    // The journal holds no step that starts at `from`: the batch cuts across one.
    if (before > from && next == 0) return false;
    const StagedBatch& batch = staged_[next];
    const std::string_view rows = std::string_view(rows_).substr(begin, batch.end - begin);
    if (entry.stream_position != before + batch.bets || entry.rows_checksum != rows_checksum(rows))
      return false;
    begin = batch.end;
    if (++next == staged_.size()) return true;
  }
  return false;
}

bool BetsFileWriter::close_stream(std::uint32_t stream) {
  open_once();
  bool closed_now = false;
  {
    const sys::FileLock lock(fd_.get(), sys::FileLock::Mode::kExclusive, path_);
    const std::uint64_t committed = catch_up();
    const StreamState state = streams_.stream(stream);
    if (!state.closed) {
      const JournalEntry entry{JournalEntry::Kind::kClosed, stream, state.position, committed,
                               rows_checksum({})};
      commit(std::span(&entry, 1));
      closed_now = true;
    }
  }
  if (closed_now) make_durable();
  return closed_now;
}

void BetsFileWriter::make_durable() {
  if (durability_ != Durability::kMachine) return;
  // The rows first, then the entries that commit them; recover() checks each entry's rows
  // anyway, since the kernel may write the two files' pages in any order before this.
  sys::sync_data(fd_.get(), "sync " + path_);
  journal_->sync();
}

StreamState BetsFileWriter::stream_state(std::uint32_t stream) {
  open_once();
  const sys::FileLock lock(fd_.get(), sys::FileLock::Mode::kExclusive, path_);
  streams_.catch_up(*journal_);
  return streams_.stream(stream);
}

Recovery recover(const std::string& path, StreamTable& streams, Durability durability) {
  Recovery recovery;
  sys::UniqueFd fd = sys::open_if_present(path, O_RDWR, "bets file");
  if (!fd) {
    const Journal orphan = Journal::open_for_reading(path);
    if (orphan.committed_length()) {
      throw std::runtime_error("journal " + orphan.path() + " describes bets file " + path +
                               ", which is missing: it was removed by something else");
    }
    fd = sys::open_file(path, O_RDWR | O_CREAT, "bets file", 0644);
  }
  const sys::FileLock lock(fd.get(), sys::FileLock::Mode::kExclusive, path);
  const std::uint64_t size = file_size(fd.get(), path);
  if (::access(Journal::path_for(path).c_str(), F_OK) == -1 && size > 0) {
    throw std::runtime_error("bets file " + path + " holds bets but has no journal " +
                             Journal::path_for(path) +
                             ": its round cannot be resumed; start a new round with SERVER_ROUND=new");
  }
  Journal journal = Journal::open_for_update(path);
  const std::vector<JournalEntry> entries = journal.read_all();
  // Keeps the entries up to the first whose rows the file does not hold as written.
  std::uint64_t kept = 0;
  std::uint64_t length = 0;
  std::string rows;
  for (const JournalEntry& entry : entries) {
    if (entry.kind == JournalEntry::Kind::kStored) {
      if (entry.committed_length < length) break;
      sys::read_at(fd.get(), length, entry.committed_length - length, rows, "read bets file " + path);
      if (rows.size() != entry.committed_length - length || rows_checksum(rows) != entry.rows_checksum) break;
      length = entry.committed_length;
    }
    ++kept;
  }
  recovery.entries_dropped = entries.size() - kept;
  if (recovery.entries_dropped > 0) journal.cut_to(kept);
  streams.catch_up(journal);
  if (kept == 0) {
    const JournalEntry first = first_entry(fd.get(), path, size);
    journal.append(std::span(&first, 1), 0);
    streams.catch_up(journal);
    length = size;
  }
  if (size > length) {
    recovery.bytes_dropped = size - length;
    sys::truncate(fd.get(), length, "cut uncommitted rows from " + path);
  }
  if (durability == Durability::kMachine) {
    journal.sync();
    sys::sync_directory_of(path);
  }
  return recovery;
}

std::uint64_t cut_uncommitted_rows(const std::string& path) {
  const sys::UniqueFd fd = sys::open_if_present(path, O_WRONLY, "bets file");
  if (!fd) return 0;
  const sys::FileLock lock(fd.get(), sys::FileLock::Mode::kExclusive, path);
  const Journal journal = Journal::open_for_reading(path);
  const std::uint64_t size = file_size(fd.get(), path);
  const std::uint64_t committed = journal.committed_length().value_or(size);
  cut_uncommitted(fd.get(), path, size, committed, journal);
  return size - committed;
}

BetsFileReader::BetsFileReader(const std::string& path) : path_(path) {
  sys::UniqueFd fd = sys::open_if_present(path, O_RDONLY, "bets file");
  if (!fd) return;
  lock_.emplace(fd.get(), sys::FileLock::Mode::kShared, path);
  // A file the journal has no entry for was never written by store_bets(): all of it counts.
  committed_ = Journal::open_for_reading(path).committed_length().value_or(file_size(fd.get(), path));
  reader_.emplace(std::move(fd), path, committed_);
}

bool BetsFileReader::next(lottery::Bet& bet) {
  if (!reader_ || !reader_->next(fields_)) return false;
  const auto fail = [&](const std::string& problem) {
    throw csv::CsvError(path_ + ":" + std::to_string(reader_->line()) + ": " + problem);
  };
  if (fields_.size() != kFieldsPerRow) {
    fail("expected " + std::to_string(kFieldsPerRow) + " fields, found " + std::to_string(fields_.size()));
  }
  const auto agency = text::parse_decimal<std::uint32_t>(fields_[0]);
  if (!agency) fail("agency \"" + fields_[0] + "\" is not a number");
  const auto number = lottery::parse_number(fields_[5]);
  if (!number) {
    fail("number \"" + fields_[5] + "\" is not a number from 0 to " + std::to_string(lottery::kMaxNumber));
  }
  bet.agency = *agency;
  // Swapping hands the strings over without copying; fields_ is refilled on the next call.
  bet.first_name.swap(fields_[1]);
  bet.last_name.swap(fields_[2]);
  bet.document.swap(fields_[3]);
  bet.birthdate.swap(fields_[4]);
  bet.number = *number;
  return true;
}

bool BetsFileReader::next_with_number(std::uint16_t number, lottery::Bet& bet) {
  // The number is the last field: a row whose last field is another number is skipped
  // without being split, which is nearly every row when one number is looked for.
  const auto another_number = [number](std::string_view row) {
    const auto last_comma = row.rfind(',');
    if (last_comma == std::string_view::npos) return false;
    const auto found = lottery::parse_number(row.substr(last_comma + 1));
    return found && *found != number;
  };
  while (reader_) {
    while (reader_->skip_plain_line_if(another_number)) {
    }
    if (!next(bet)) return false;
    if (bet.number == number) return true;
  }
  return false;
}

void load_bets(const std::string& path, const std::function<void(const lottery::Bet&)>& visit) {
  BetsFileReader reader(path);
  lottery::Bet bet;
  while (reader.next(bet)) visit(bet);
}

}  // namespace tp0::storage
