#include "server/storage/stream_table.h"

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "common/sys/system_error.h"
#include "server/storage/journal.h"

namespace tp0::storage {
namespace {

void check(int error, const char* what) {
  if (error != 0) throw sys::error_from_errno(error, std::string("stream table: ") + what);
}

}  // namespace

UnknownStream::UnknownStream(std::uint32_t stream)
    : std::runtime_error("stream " + std::to_string(stream) + " is not one of the table's"),
      stream_(stream) {}

struct StreamTable::Header {
  pthread_mutex_t mutex;
  std::uint64_t entries;
  std::uint64_t committed_length;
  std::uint32_t closed;   // how many rows are closed, derived from them
  std::uint32_t claimed;  // 1 once claim_all_closed() returned true
};

struct StreamTable::Row {
  std::uint64_t position;
  std::uint32_t closed;
};

// Holds the table's robust mutex for one scope. When the previous owner died holding it,
// the closed count may lag behind the rows (a death between closing a row and counting
// it): it is recomputed before the state is used or marked consistent.
class StreamTable::Lock {
 public:
  explicit Lock(const StreamTable& table) : header_(table.header()) {
    const int status = pthread_mutex_lock(&header_.mutex);
    if (status == EOWNERDEAD) {
      const Row* rows = table.rows();
      header_.closed = static_cast<std::uint32_t>(
          std::count_if(rows, rows + table.size(), [](const Row& row) { return row.closed; }));
      check(pthread_mutex_consistent(&header_.mutex), "recover the mutex of a dead process");
    } else {
      check(status, "lock mutex");
    }
  }
  ~Lock() { pthread_mutex_unlock(&header_.mutex); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  Header& header_;
};

StreamTable::StreamTable(std::vector<std::uint32_t> streams)
    : ids_(std::move(streams)), mapping_(sizeof(Header) + ids_.size() * sizeof(Row)) {
  std::sort(ids_.begin(), ids_.end());
  pthread_mutexattr_t attributes;
  check(pthread_mutexattr_init(&attributes), "init mutex attributes");
  check(pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED), "share mutex");
  check(pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST), "make mutex robust");
  check(pthread_mutex_init(&header().mutex, &attributes), "init mutex");
  pthread_mutexattr_destroy(&attributes);
}

StreamTable::Header& StreamTable::header() const { return *static_cast<Header*>(mapping_.data()); }

StreamTable::Row* StreamTable::rows() const {
  return reinterpret_cast<Row*>(static_cast<char*>(mapping_.data()) + sizeof(Header));
}

std::optional<std::uint32_t> StreamTable::index_of(std::uint32_t stream) const {
  const auto found = std::lower_bound(ids_.begin(), ids_.end(), stream);
  if (found == ids_.end() || *found != stream) return std::nullopt;
  return static_cast<std::uint32_t>(found - ids_.begin());
}

std::uint64_t StreamTable::entries() const {
  const Lock lock(*this);
  return header().entries;
}

std::uint64_t StreamTable::committed_length() const {
  const Lock lock(*this);
  return header().committed_length;
}

StreamState StreamTable::stream(std::uint32_t stream) const {
  const auto index = index_of(stream);
  return index ? at(*index) : StreamState{};
}

StreamState StreamTable::at(std::uint32_t index) const {
  const Lock lock(*this);
  const Row& row = rows()[index];
  return {row.position, row.closed != 0};
}

std::uint32_t StreamTable::closed_count() const {
  const Lock lock(*this);
  return header().closed;
}

bool StreamTable::claim_all_closed() {
  const Lock lock(*this);
  if (header().claimed != 0 || header().closed < size()) return false;
  header().claimed = 1;
  return true;
}

void StreamTable::apply(const JournalEntry& entry) {
  const Lock lock(*this);
  if (entry.stream != 0) {
    const auto index = index_of(entry.stream);
    if (!index) throw UnknownStream(entry.stream);
    Row& row = rows()[*index];
    row.position = entry.stream_position;
    // The row first, as the one fact the repair in Lock derives the count from.
    if (entry.kind == JournalEntry::Kind::kClosed && row.closed == 0) {
      row.closed = 1;
      ++header().closed;
    }
  }
  header().committed_length = entry.committed_length;
  ++header().entries;
}

}  // namespace tp0::storage
