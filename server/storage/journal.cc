#include "server/storage/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <stdexcept>

#include "common/sys/system_error.h"

namespace tp0::storage {
namespace {

// Entries read per pread(2) while catching up.
constexpr std::size_t kEntriesPerRead = 256;

}  // namespace

std::string Journal::path_for(const std::string& bets_path) { return bets_path + ".journal"; }

Journal::Journal(sys::UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

Journal Journal::open_for_update(const std::string& bets_path) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd(
      sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("open journal " + path);
  return Journal(std::move(fd), std::move(path));
}

Journal Journal::open_for_reading(const std::string& bets_path) {
  std::string path = path_for(bets_path);
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd && errno != ENOENT) throw sys::last_error("open journal " + path);
  return Journal(std::move(fd), std::move(path));
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
      const auto entry = decode_entry(buffer.data() + i * kEntryBytes);
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

void Journal::catch_up(StreamTable& table) {
  torn_end_ = read_entries(table.entries(), [&](const JournalEntry& entry) { table.apply(entry); });
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

void Journal::append(std::span<const JournalEntry> entries, StreamTable& table) {
  std::vector<unsigned char> bytes;
  bytes.reserve(entries.size() * kEntryBytes);
  for (const JournalEntry& entry : entries) {
    const JournalEntryBytes encoded = encode_entry(entry);
    bytes.insert(bytes.end(), encoded.begin(), encoded.end());
  }
  const auto offset = static_cast<off_t>(table.entries() * kEntryBytes);
  const auto cut_back = [&](const char* why) {
    if (sys::retry_on_eintr([&] { return ::ftruncate(fd_.get(), offset); }) == -1) {
      throw sys::last_error(std::string(why) + " journal " + path_);
    }
  };
  // A torn end left by a crash goes first, so that the new entries follow the valid ones.
  if (torn_end_) {
    cut_back("cut the torn end of");
    torn_end_ = false;
  }
  const ssize_t written =
      sys::retry_on_eintr([&] { return ::pwrite(fd_.get(), bytes.data(), bytes.size(), offset); });
  if (written == -1) throw sys::last_error("append to journal " + path_);
  if (written != static_cast<ssize_t>(bytes.size())) {
    // Nothing counts of entries written in part: cut them, so that the file ends whole.
    cut_back("undo a short append to");
    throw std::runtime_error("append to journal " + path_ + ": short write");
  }
  for (const JournalEntry& entry : entries) table.apply(entry);
}

void Journal::sync() {
  if (sys::retry_on_eintr([&] { return ::fdatasync(fd_.get()); }) == -1) throw sys::last_error("sync journal " + path_);
}

void Journal::cut_to(std::uint64_t entries, StreamTable& table) {
  if (sys::retry_on_eintr([&] { return ::ftruncate(fd_.get(), static_cast<off_t>(entries * kEntryBytes)); }) == -1) {
    throw sys::last_error("cut journal " + path_);
  }
  // What was read is read again, up to the new end.
  table.clear();
  catch_up(table);
}

}  // namespace tp0::storage
