#include "server/storage/journal.h"

#include <fcntl.h>

#include <stdexcept>

#include "common/coding/coding.h"
#include "common/sys/file_io.h"

namespace tp0::storage {
namespace {

using coding::get_little_endian;
using coding::put_little_endian;

// Entries read per pread(2) while catching up.
constexpr std::size_t kEntriesPerRead = 256;
constexpr std::size_t kChecksumOffset = 28;

void encode(const JournalEntry& entry, std::string& out) {
  char bytes[Journal::kEntryBytes] = {};
  bytes[0] = static_cast<char>(entry.kind);
  put_little_endian<std::uint32_t>(bytes + 4, entry.stream);
  put_little_endian<std::uint64_t>(bytes + 8, entry.stream_position);
  put_little_endian<std::uint64_t>(bytes + 16, entry.committed_length);
  put_little_endian<std::uint32_t>(bytes + 24, entry.rows_checksum);
  put_little_endian<std::uint32_t>(bytes + kChecksumOffset, checksum({bytes, kChecksumOffset}));
  out.append(bytes, sizeof bytes);
}

// The entry in `bytes` (kEntryBytes of them), or nullopt when they are not one encode()
// wrote: a torn, never-written or damaged entry.
std::optional<JournalEntry> decode(const char* bytes) {
  const auto kind = static_cast<JournalEntry::Kind>(bytes[0]);
  if (get_little_endian<std::uint32_t>(bytes + kChecksumOffset) != checksum({bytes, kChecksumOffset}) ||
      (kind != JournalEntry::Kind::kStored && kind != JournalEntry::Kind::kClosed) || bytes[1] != 0 ||
      bytes[2] != 0 || bytes[3] != 0) {
    return std::nullopt;
  }
  return JournalEntry{
      kind, get_little_endian<std::uint32_t>(bytes + 4), get_little_endian<std::uint64_t>(bytes + 8),
      get_little_endian<std::uint64_t>(bytes + 16), get_little_endian<std::uint32_t>(bytes + 24)};
}

}  // namespace

std::uint32_t checksum(std::string_view bytes) {
  std::uint32_t hash = 2166136261u;  // FNV-1a's offset basis and prime
  for (const char byte : bytes) hash = (hash ^ static_cast<unsigned char>(byte)) * 16777619u;
  return hash;
}

std::string Journal::path_for(const std::string& bets_path) { return bets_path + ".journal"; }

Journal::Journal(const std::string& bets_path, Access access)
    : path_(path_for(bets_path)),
      fd_(access == Access::kUpdate ? sys::open_file(path_, O_RDWR | O_CREAT, "journal", 0600)
                                    : sys::open_if_present(path_, O_RDONLY, "journal")) {}

void Journal::read_from(std::uint64_t first, const std::function<void(const JournalEntry&)>& visit) {
  torn_end_ = false;
  if (!fd_) return;
  std::string buffer;
  std::uint64_t index = first;
  std::optional<std::uint64_t> invalid;  // the first invalid entry met
  while (true) {
    sys::read_at(fd_.get(), index * kEntryBytes, kEntryBytes * kEntriesPerRead, buffer,
                 "read journal " + path_);
    const std::size_t whole = buffer.size() / kEntryBytes;
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
    if (whole < kEntriesPerRead) {
      torn_end_ = invalid.has_value() || buffer.size() % kEntryBytes != 0;
      return;
    }
  }
}

std::optional<std::uint64_t> Journal::committed_length() {
  std::optional<std::uint64_t> length;
  read_from(0, [&](const JournalEntry& entry) { length = entry.committed_length; });
  return length;
}

void Journal::append(std::span<const JournalEntry> entries, std::uint64_t at) {
  std::string bytes;
  bytes.reserve(entries.size() * kEntryBytes);
  for (const JournalEntry& entry : entries) encode(entry, bytes);
  const std::uint64_t offset = at * kEntryBytes;
  // A torn end left by a crash goes first, so that the new entries follow the valid ones.
  if (torn_end_) {
    sys::truncate(fd_.get(), offset, "cut the torn end of journal " + path_);
    torn_end_ = false;
  }
  try {
    sys::write_all_at(fd_.get(), bytes, offset, "append to journal " + path_);
  } catch (...) {
    // Nothing counts of entries written in part: cut them, so that the file ends whole.
    sys::truncate(fd_.get(), offset, "undo a failed append to journal " + path_);
    throw;
  }
}

void Journal::sync() { sys::sync_data(fd_.get(), "sync journal " + path_); }

void Journal::cut_to(std::uint64_t entries) {
  sys::truncate(fd_.get(), entries * kEntryBytes, "cut journal " + path_);
}

}  // namespace tp0::storage
