#include "server/storage/journal.h"

#include <fcntl.h>

#include <optional>
#include <stdexcept>

#include "common/sys/file_io.h"

namespace tp0::storage {
namespace {

// Entries read per pread(2) while catching up.
constexpr std::size_t kEntriesPerRead = 256;

}  // namespace

std::string Journal::path_for(const std::string& bets_path) { return bets_path + ".journal"; }

Journal::Journal(sys::UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

Journal Journal::open_for_update(const std::string& bets_path) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd = sys::open_file(path, O_RDWR | O_CREAT, "journal", 0644);
  return Journal(std::move(fd), std::move(path));
}

Journal Journal::open_for_reading(const std::string& bets_path) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd = sys::open_if_present(path, O_RDONLY, "journal");
  return Journal(std::move(fd), std::move(path));
}

bool Journal::read_entries(std::uint64_t first, const std::function<void(const JournalEntry&)>& visit) const {
  if (!fd_) return false;
  std::string buffer;
  std::uint64_t index = first;
  std::optional<std::uint64_t> invalid;  // the first invalid entry met
  while (true) {
    sys::read_at(fd_.get(), index * kEntryBytes, kEntryBytes * kEntriesPerRead, buffer,
                 "read journal " + path_);
    const std::size_t whole = buffer.size() / kEntryBytes;
    const bool partial_entry_at_end = buffer.size() % kEntryBytes != 0;
    for (std::size_t i = 0; i < whole; ++i, ++index) {
      const auto entry =
          decode_entry(reinterpret_cast<const unsigned char*>(buffer.data()) + i * kEntryBytes);
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

void Journal::read_from(std::uint64_t first, const std::function<void(const JournalEntry&)>& visit) {
  torn_end_ = read_entries(first, visit);
}

std::vector<JournalEntry> Journal::read_all() const {
  std::vector<JournalEntry> entries;
  read_entries(0, [&](const JournalEntry& entry) { entries.push_back(entry); });
  return entries;
}

std::optional<std::uint64_t> Journal::committed_length() const {
  std::optional<std::uint64_t> length;
  read_entries(0, [&](const JournalEntry& entry) { length = entry.committed_length; });
  return length;
}

void Journal::append(std::span<const JournalEntry> entries, std::uint64_t at) {
  std::string bytes;
  bytes.reserve(entries.size() * kEntryBytes);
  for (const JournalEntry& entry : entries) {
    const JournalEntryBytes encoded = encode_entry(entry);
    bytes.append(reinterpret_cast<const char*>(encoded.data()), encoded.size());
  }
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
