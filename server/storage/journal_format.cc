#include "server/storage/journal_format.h"

namespace tp0::storage {
namespace {

constexpr std::size_t kChecksumOffset = 28;
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
void put(JournalEntryBytes& bytes, std::size_t offset, Unsigned value) {
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

}  // namespace

std::uint32_t rows_checksum(std::string_view rows) {
  return fnv1a(reinterpret_cast<const unsigned char*>(rows.data()), rows.size());
}

JournalEntryBytes encode_entry(const JournalEntry& entry) {
  JournalEntryBytes bytes{};
  bytes[0] = static_cast<unsigned char>(entry.kind);
  put<std::uint32_t>(bytes, 4, entry.stream);
  put<std::uint64_t>(bytes, 8, entry.stream_position);
  put<std::uint64_t>(bytes, 16, entry.committed_length);
  put<std::uint32_t>(bytes, 24, entry.rows_checksum);
  put<std::uint32_t>(bytes, kChecksumOffset, fnv1a(bytes.data(), kChecksumOffset));
  return bytes;
}

std::optional<JournalEntry> decode_entry(const unsigned char* bytes) {
  if (get<std::uint32_t>(bytes, kChecksumOffset) != fnv1a(bytes, kChecksumOffset)) return std::nullopt;
  const auto kind = static_cast<JournalEntry::Kind>(bytes[0]);
  if (kind != JournalEntry::Kind::kStored && kind != JournalEntry::Kind::kClosed) return std::nullopt;
  if (bytes[1] != 0 || bytes[2] != 0 || bytes[3] != 0) return std::nullopt;
  return JournalEntry{kind, get<std::uint32_t>(bytes, 4), get<std::uint64_t>(bytes, 8),
                      get<std::uint64_t>(bytes, 16), get<std::uint32_t>(bytes, 24)};
}


}  // namespace tp0::storage
