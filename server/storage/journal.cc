#include "server/storage/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <stdexcept>

#include "common/sys/system_error.h"

namespace tp0::storage {
namespace {

using EntryBytes = std::array<unsigned char, Journal::kEntryBytes>;
// Bytes 0-27 hold the entry, 28-31 their checksum.
constexpr std::size_t kChecksumOffset = 28;
// Entries read per pread(2) while catching up.
constexpr std::size_t kEntriesPerRead = 256;

constexpr std::uint32_t kFnvOffsetBasis = 2166136261u;
constexpr std::uint32_t kFnvPrime = 16777619u;

std::uint32_t fnv1a(const unsigned char* data, std::size_t size) {
  std::uint32_t hash = kFnvOffsetBasis;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= kFnvPrime;
  }
  return hash;
}

// Little-endian whatever the host, so that a journal reads the same on any machine.
template <typename Unsigned>
void put(EntryBytes& bytes, std::size_t offset, Unsigned value) {
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    bytes[offset + i] = static_cast<unsigned char>(value >> (8 * i));
  }
}
template <typename Unsigned>
Unsigned get(const unsigned char* bytes, std::size_t offset) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    value |= static_cast<Unsigned>(static_cast<Unsigned>(bytes[offset + i]) << (8 * i));
  }
  return value;
}

EntryBytes encode(const JournalEntry& entry) {
  EntryBytes bytes{};
  bytes[0] = static_cast<unsigned char>(entry.kind);
  put<std::uint32_t>(bytes, 4, entry.stream);
  put<std::uint64_t>(bytes, 8, entry.stream_position);
  put<std::uint64_t>(bytes, 16, entry.committed_length);
  put<std::uint32_t>(bytes, 24, entry.rows_checksum);
  put<std::uint32_t>(bytes, kChecksumOffset, fnv1a(bytes.data(), kChecksumOffset));
  return bytes;
}

// The entry in `bytes`, or nullopt when they are not one encode() wrote.
std::optional<JournalEntry> decode(const unsigned char* bytes) {
  if (get<std::uint32_t>(bytes, kChecksumOffset) != fnv1a(bytes, kChecksumOffset)) return std::nullopt;
  const auto kind = static_cast<JournalEntry::Kind>(bytes[0]);
  if (kind != JournalEntry::Kind::kStored && kind != JournalEntry::Kind::kClosed) return std::nullopt;
  if (bytes[1] != 0 || bytes[2] != 0 || bytes[3] != 0) return std::nullopt;
  return JournalEntry{kind, get<std::uint32_t>(bytes, 4), get<std::uint64_t>(bytes, 8),
                      get<std::uint64_t>(bytes, 16), get<std::uint32_t>(bytes, 24)};
}

}  // namespace

std::uint32_t rows_checksum(std::string_view rows) {
  return fnv1a(reinterpret_cast<const unsigned char*>(rows.data()), rows.size());
}

std::string Journal::path_for(const std::string& bets_path) { return bets_path + ".journal"; }

Journal::Journal(sys::UniqueFd fd, std::string path, JournalState* shared)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      own_(shared == nullptr ? std::make_unique<LocalJournalState>() : nullptr),
      state_(shared == nullptr ? own_.get() : shared) {}

Journal Journal::open_for_update(const std::string& bets_path, JournalState* shared) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd(
      sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("open journal " + path);
  return Journal(std::move(fd), std::move(path), shared);
}

Journal Journal::open_for_reading(const std::string& bets_path) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd && errno != ENOENT) throw sys::last_error("open journal " + path);
  return Journal(std::move(fd), std::move(path), nullptr);
}

bool Journal::read_entries(std::uint64_t first, const std::function<void(const JournalEntry&)>& visit) const {
  if (!fd_) return false;
  std::array<unsigned char, kEntryBytes * kEntriesPerRead> buffer{};
  std::uint64_t index = first;
  std::optional<std::uint64_t> invalid;  // the first invalid entry met
  while (true) {
    const ssize_t received = sys::retry_on_eintr([&] {
      return ::pread(fd_.get(), buffer.data(), buffer.size(), static_cast<off_t>(index * kEntryBytes));
    });
    if (received == -1) throw sys::last_error("read journal " + path_);
    const std::size_t whole = static_cast<std::size_t>(received) / kEntryBytes;
    const bool partial_entry_at_end = static_cast<std::size_t>(received) % kEntryBytes != 0;
    for (std::size_t i = 0; i < whole; ++i, ++index) {
      const auto entry = decode(buffer.data() + i * kEntryBytes);
      if (!entry) {
        if (!invalid) invalid = index;
        continue;
      }
      if (invalid) {
        throw std::runtime_error("journal " + path_ + ": entry " + std::to_string(*invalid) +
                                 " is damaged but later ones are whole; it was not written by this server");
      }
      visit(*entry);
    }
    if (whole < kEntriesPerRead) return invalid.has_value() || partial_entry_at_end;
  }
}

void Journal::catch_up() {
  torn_end_ = read_entries(state_->entries(), [this](const JournalEntry& entry) { state_->apply(entry); });
}

std::vector<JournalEntry> Journal::read_all() const {
  std::vector<JournalEntry> entries;
  read_entries(0, [&](const JournalEntry& entry) { entries.push_back(entry); });
  return entries;
}

StreamState LocalJournalState::stream(std::uint32_t stream) const {
  const auto found = streams_.find(stream);
  return found == streams_.end() ? StreamState{} : found->second;
}

void LocalJournalState::apply(const JournalEntry& entry) {
  committed_length_ = entry.committed_length;
  StreamState& state = streams_[entry.stream];
  state.position = entry.stream_position;
  if (entry.kind == JournalEntry::Kind::kClosed) state.closed = true;
  ++entries_;
}

void LocalJournalState::clear() {
  entries_ = 0;
  committed_length_ = 0;
  streams_.clear();
}

// Every field is written by one aligned store, and `entries` last: a process that dies in
// apply() leaves the entry to be taken in again, which changes nothing twice.
struct SharedJournalState::Header {
  std::uint64_t entries;
  std::uint64_t committed_length;
  std::uint64_t capacity;  // slots, a power of two
};

struct SharedJournalState::Slot {
  std::uint64_t key;  // the stream + 1; 0 for an empty slot
  std::uint64_t position;
  std::uint64_t closed;
};

namespace {

std::uint64_t capacity_for(std::uint32_t streams) {
  std::uint64_t capacity = 16;
  while (capacity < 2 * static_cast<std::uint64_t>(streams) + 2) capacity *= 2;
  return capacity;
}

}  // namespace

SharedJournalState::SharedJournalState(std::uint32_t streams)
    : mapping_(sizeof(Header) + capacity_for(streams) * sizeof(Slot)) {
  header().capacity = capacity_for(streams);
}

SharedJournalState::Header& SharedJournalState::header() const { return *static_cast<Header*>(mapping_.data()); }

SharedJournalState::Slot* SharedJournalState::slots() const {
  return reinterpret_cast<Slot*>(static_cast<char*>(mapping_.data()) + sizeof(Header));
}

SharedJournalState::Slot* SharedJournalState::find(std::uint32_t stream) const {
  const std::uint64_t key = static_cast<std::uint64_t>(stream) + 1;
  const std::uint64_t mask = header().capacity - 1;
  // Fibonacci hashing spreads consecutive agency numbers over the table.
  std::uint64_t index = (key * 0x9E3779B97F4A7C15ULL) & mask;
  for (std::uint64_t probes = 0; probes <= mask; ++probes, index = (index + 1) & mask) {
    Slot& slot = slots()[index];
    if (slot.key == key || slot.key == 0) return &slot;
  }
  return nullptr;
}

std::uint64_t SharedJournalState::entries() const { return header().entries; }

std::uint64_t SharedJournalState::committed_length() const { return header().committed_length; }

StreamState SharedJournalState::stream(std::uint32_t stream) const {
  const Slot* slot = find(stream);
  if (slot == nullptr || slot->key == 0) return {};
  return {slot->position, slot->closed != 0};
}

void SharedJournalState::apply(const JournalEntry& entry) {
  Slot* slot = find(entry.stream);
  if (slot == nullptr) {
    throw std::length_error("stream " + std::to_string(entry.stream) + ": the shared journal state has no room left (" +
                            std::to_string(header().capacity) + " streams)");
  }
  slot->key = static_cast<std::uint64_t>(entry.stream) + 1;
  slot->position = entry.stream_position;
  if (entry.kind == JournalEntry::Kind::kClosed) slot->closed = 1;
  header().committed_length = entry.committed_length;
  ++header().entries;
}

void SharedJournalState::clear() {
  const std::uint64_t capacity = header().capacity;
  std::fill_n(static_cast<char*>(mapping_.data()), mapping_.size(), char{0});
  header().capacity = capacity;
}

void Journal::append(const JournalEntry& entry) {
  const EntryBytes bytes = encode(entry);
  const auto offset = static_cast<off_t>(state_->entries() * kEntryBytes);
  // A torn end left by a crash goes first, so that the new entry follows the valid ones.
  if (torn_end_) {
    if (sys::retry_on_eintr([&] { return ::ftruncate(fd_.get(), offset); }) == -1) {
      throw sys::last_error("cut the torn end of journal " + path_);
    }
    torn_end_ = false;
  }
  const ssize_t written =
      sys::retry_on_eintr([&] { return ::pwrite(fd_.get(), bytes.data(), bytes.size(), offset); });
  if (written == -1) throw sys::last_error("append to journal " + path_);
  if (written != static_cast<ssize_t>(bytes.size())) {
    // Nothing counts of an entry written in part: cut it, so that the file ends whole.
    if (sys::retry_on_eintr([&] { return ::ftruncate(fd_.get(), offset); }) == -1) {
      throw sys::last_error("undo a short append to journal " + path_);
    }
    throw std::runtime_error("append to journal " + path_ + ": short write");
  }
  state_->apply(entry);
}

void Journal::sync() {
  if (sys::retry_on_eintr([&] { return ::fdatasync(fd_.get()); }) == -1) throw sys::last_error("sync journal " + path_);
}

void Journal::cut_to(std::uint64_t entries) {
  if (sys::retry_on_eintr([&] { return ::ftruncate(fd_.get(), static_cast<off_t>(entries * kEntryBytes)); }) == -1) {
    throw sys::last_error("cut journal " + path_);
  }
  // What was read is read again, up to the new end.
  state_->clear();
  catch_up();
}

}  // namespace tp0::storage
