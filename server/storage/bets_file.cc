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

// Cuts the rows past `committed` from the bets file open as `fd`, of `size` bytes: a
// writer that died left them. Returns how many bytes. Throws when the file is shorter
// than its journal says.
std::uint64_t cut_uncommitted(int fd, const std::string& path, std::uint64_t size, std::uint64_t committed) {
  if (size < committed) {
    throw std::runtime_error("bets file " + path + " holds " + std::to_string(size) + " bytes but " +
                             Journal::path_for(path) + " says " + std::to_string(committed) +
                             " were stored: the file was cut by something else");
  }
  if (size > committed) sys::truncate(fd, committed, "cut uncommitted rows from " + path);
  return size - committed;
}

// The journal's first entry, committing the `size` bytes the bets file open as `fd` holds
// before the journal has any entry, so that a writer dying in its first append leaves an
// entry to cut back to.
JournalEntry first_entry(int fd, const std::string& path, std::uint64_t size) {
  std::string rows;
  sys::read_at(fd, 0, size, rows, "read bets file " + path);
  return {JournalEntry::Kind::kStored, 0, 0, size, checksum(rows)};
}

}  // namespace

void store_bets(const std::string& path, std::span<const lottery::Bet> bets) {
  if (bets.empty()) return;
  StreamTable no_streams({});
  BetsFileWriter writer(path, no_streams);
  writer.stage(bets);
  writer.store_staged({});
}

void BetsFileWriter::stage(std::span<const lottery::Bet> bets) {
  for (const auto& bet : bets) {
    csv::append_record(rows_, {std::to_string(bet.agency), bet.first_name, bet.last_name, bet.document,
                               bet.birthdate, std::to_string(bet.number)});
  }
  staged_.push_back({rows_.size(), bets.size()});
}

int BetsFileWriter::open_once() {
  if (!journal_) {
    // Names and document numbers: readable by the server's user alone (and the journal too).
    sys::UniqueFd fd = sys::open_file(path_, O_WRONLY | O_APPEND | O_CREAT, "bets file", 0600);
    journal_.emplace(path_, Journal::Access::kUpdate);
    fd_ = std::move(fd);
  }
  return fd_.get();
}

void BetsFileWriter::take_in_new_entries() {
  journal_->read_from(streams_.entries(), [this](const JournalEntry& entry) { streams_.apply(entry); });
}

std::uint64_t BetsFileWriter::catch_up() {
  take_in_new_entries();
  const std::uint64_t size = sys::file_size(fd_.get(), "stat bets file " + path_);
  if (streams_.entries() == 0) {
    const JournalEntry first = first_entry(fd_.get(), path_, size);
    commit({}, size, std::span(&first, 1));
    return size;
  }
  const std::uint64_t committed = streams_.committed_length();
  cut_uncommitted(fd_.get(), path_, size, committed);
  return committed;
}

void BetsFileWriter::commit(std::string_view rows, std::uint64_t length,
                            std::span<const JournalEntry> entries) {
  try {
    sys::write_all(fd_.get(), rows, "append bets to " + path_);
    journal_->append(entries, streams_.entries());
  } catch (...) {
    // Still under the lock, so nobody has appended after our partial rows.
    sys::truncate(fd_.get(), length, "undo partial append to " + path_);
    throw;
  }
  // The entries just written, in the order written: the table takes them in as it takes
  // anyone's, one by one, and the journal is not read again for them.
  for (const JournalEntry& entry : entries) streams_.apply(entry);
}

Stored BetsFileWriter::store_staged(const StreamAppend& append) {
  // Staged rows are written by this call or by none: a failed or refused store does not
  // leave them for the next one.
  struct Unstage {
    explicit Unstage(BetsFileWriter& owner) : writer(owner) {}
    Unstage(const Unstage&) = delete;
    Unstage& operator=(const Unstage&) = delete;
    ~Unstage() {
      writer.rows_.clear();
      writer.staged_.clear();
    }
    BetsFileWriter& writer;
  } const unstage(*this);
  {
    const sys::FileLock lock(open_once(), sys::FileLock::Mode::kExclusive, path_);
    const std::uint64_t committed = catch_up();
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
      entries.push_back({JournalEntry::Kind::kStored, append.stream, position, committed + batch.end,
                         checksum(std::string_view(rows_).substr(begin, batch.end - begin))});
      begin = batch.end;
    }
    commit(rows_, committed, entries);
  }
  make_durable();
  return {StoreOutcome::kStored, streams_.stream(append.stream).position};
}

bool BetsFileWriter::holds_staged(std::uint32_t stream, std::uint64_t from) {
  std::size_t next = 0;        // the staged batch to match next
  std::size_t begin = 0;       // where its rows begin in rows_
  std::uint64_t position = 0;  // the stream's position before the entry read
  bool held = true;            // until an entry of the stream from `from` on differs
  journal_->read_from(0, [&](const JournalEntry& entry) {
    // Rows outside the numbering (a single bet) take no place in the stream.
    if (!held || next == staged_.size() || entry.stream != stream ||
        entry.kind != JournalEntry::Kind::kStored || entry.stream_position == position) {
      return;
    }
    const std::uint64_t before = std::exchange(position, entry.stream_position);
    if (before < from) return;
    const StagedBatch& batch = staged_[next];
    const std::string_view rows = std::string_view(rows_).substr(begin, batch.end - begin);
    // The journal must hold a step that starts at `from`, else the batches cut across one.
    held = (next > 0 || before == from) && entry.stream_position == before + batch.bets &&
           entry.rows_checksum == checksum(rows);
    begin = batch.end;
    ++next;
  });
  return held && next == staged_.size();
}

bool BetsFileWriter::close_stream(std::uint32_t stream) {
  {
    const sys::FileLock lock(open_once(), sys::FileLock::Mode::kExclusive, path_);
    const std::uint64_t committed = catch_up();
    const StreamState state = streams_.stream(stream);
    if (state.closed) return false;
    const JournalEntry entry{JournalEntry::Kind::kClosed, stream, state.position, committed, checksum({})};
    commit({}, committed, std::span(&entry, 1));
  }
  make_durable();
  return true;
}

void BetsFileWriter::make_durable() {
  if (durability_ != Durability::kMachine) return;
  // The rows first, then the entries that commit them; recover() checks each entry's rows
  // anyway, since the kernel may write the two files' pages in any order before this.
  sys::sync_data(fd_.get(), "sync " + path_);
  journal_->sync();
}

StreamState BetsFileWriter::stream_state(std::uint32_t stream) {
  const sys::FileLock lock(open_once(), sys::FileLock::Mode::kExclusive, path_);
  take_in_new_entries();
  return streams_.stream(stream);
}

Recovery recover(const std::string& path, StreamTable& streams, Durability durability) {
  sys::UniqueFd fd = sys::open_if_present(path, O_RDWR, "bets file");
  if (!fd) {
    if (Journal(path, Journal::Access::kRead).committed_length()) {
      throw std::runtime_error("journal " + Journal::path_for(path) + " describes bets file " + path +
                               ", which is missing: it was removed by something else");
    }
    fd = sys::open_file(path, O_RDWR | O_CREAT, "bets file", 0600);
  }
  const sys::FileLock lock(fd.get(), sys::FileLock::Mode::kExclusive, path);
  const std::uint64_t size = sys::file_size(fd.get(), "stat bets file " + path);
  if (::access(Journal::path_for(path).c_str(), F_OK) == -1 && size > 0) {
    throw std::runtime_error("bets file " + path + " holds bets but has no journal " +
                             Journal::path_for(path) +
                             ": its round cannot be resumed; start a new round with SERVER_ROUND=new");
  }
  Journal journal(path, Journal::Access::kUpdate);
  std::vector<JournalEntry> entries;
  journal.read_from(0, [&](const JournalEntry& entry) { entries.push_back(entry); });
  // Keeps the entries up to the first whose rows the file does not hold as written.
  std::size_t kept = 0;
  std::uint64_t length = 0;
  std::string rows;
  for (; kept < entries.size(); ++kept) {
    const JournalEntry& entry = entries[kept];
    if (entry.kind != JournalEntry::Kind::kStored) continue;
    if (entry.committed_length < length) break;
    sys::read_at(fd.get(), length, entry.committed_length - length, rows, "read bets file " + path);
    if (rows.size() != entry.committed_length - length || checksum(rows) != entry.rows_checksum) break;
    length = entry.committed_length;
  }
  Recovery recovery{entries.size() - kept, 0};
  if (recovery.entries_dropped > 0) journal.cut_to(kept);
  if (kept == 0) {
    entries = {first_entry(fd.get(), path, size)};
    journal.append(entries, 0);
    kept = 1;
    length = size;
  }
  for (std::size_t i = 0; i < kept; ++i) streams.apply(entries[i]);
  recovery.bytes_dropped = cut_uncommitted(fd.get(), path, size, length);
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
  const std::uint64_t size = sys::file_size(fd.get(), "stat bets file " + path);
  return cut_uncommitted(fd.get(), path, size,
                         Journal(path, Journal::Access::kRead).committed_length().value_or(size));
}

BetsFileReader::BetsFileReader(const std::string& path) {
  sys::UniqueFd fd = sys::open_if_present(path, O_RDONLY, "bets file");
  if (!fd) return;
  lock_.emplace(fd.get(), sys::FileLock::Mode::kShared, path);
  // A file the journal has no entry for was never written by store_bets(): all of it counts.
  const std::uint64_t committed = Journal(path, Journal::Access::kRead)
                                      .committed_length()
                                      .value_or(sys::file_size(fd.get(), "stat bets file " + path));
  reader_.emplace(std::move(fd), path, committed);
}

bool BetsFileReader::next(lottery::Bet& bet) {
  if (!reader_ || !reader_->next(fields_)) return false;
  if (fields_.size() != kFieldsPerRow) {
    reader_->fail("expected " + std::to_string(kFieldsPerRow) + " fields, found " +
                  std::to_string(fields_.size()));
  }
  const auto agency = text::parse_decimal<std::uint32_t>(fields_[0]);
  if (!agency) reader_->fail("agency \"" + fields_[0] + "\" is not a number");
  const auto number = lottery::parse_number(fields_[5]);
  if (!number) {
    reader_->fail("number \"" + fields_[5] + "\" is not a number from 0 to " +
                  std::to_string(lottery::kMaxNumber));
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
