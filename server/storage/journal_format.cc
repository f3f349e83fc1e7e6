#include "server/storage/journal_format.h"

#include "common/coding/coding.h"

namespace tp0::storage {
namespace {

constexpr std::size_t kChecksumOffset = 28;
constexpr std::uint32_t kFnvOffsetBasis = 2166136261u;
constexpr std::uint32_t kFnvPrime = 16777619u;

std::uint32_t fnv1a(const unsigned char* data, std::size_t size, std::uint32_t hash = kFnvOffsetBasis) {
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

std::uint32_t rows_checksum(std::string_view rows) {
  return fnv1a(reinterpret_cast<const unsigned char*>(rows.data()), rows.size());
}

std::uint32_t rows_checksum(std::string_view rows, std::uint32_t before) {
  return fnv1a(reinterpret_cast<const unsigned char*>(rows.data()), rows.size(), before);
}

JournalEntryBytes encode_entry(const JournalEntry& entry) {
  using coding::put_little_endian;
  JournalEntryBytes bytes{};
  bytes[0] = static_cast<unsigned char>(entry.kind);
  put_little_endian<std::uint32_t>(bytes.data() + 4, entry.stream);
  put_little_endian<std::uint64_t>(bytes.data() + 8, entry.stream_position);
  put_little_endian<std::uint64_t>(bytes.data() + 16, entry.committed_length);
  put_little_endian<std::uint32_t>(bytes.data() + 24, entry.rows_checksum);
  put_little_endian<std::uint32_t>(bytes.data() + kChecksumOffset, fnv1a(bytes.data(), kChecksumOffset));
  return bytes;
}

std::optional<JournalEntry> decode_entry(const unsigned char* bytes) {
  using coding::get_little_endian;
  if (get_little_endian<std::uint32_t>(bytes + kChecksumOffset) != fnv1a(bytes, kChecksumOffset))
    return std::nullopt;
  const auto kind = static_cast<JournalEntry::Kind>(bytes[0]);
  if (kind != JournalEntry::Kind::kStored && kind != JournalEntry::Kind::kClosed) return std::nullopt;
  if (bytes[1] != 0 || bytes[2] != 0 || bytes[3] != 0) return std::nullopt;
  return JournalEntry{
      kind, get_little_endian<std::uint32_t>(bytes + 4), get_little_endian<std::uint64_t>(bytes + 8),
      get_little_endian<std::uint64_t>(bytes + 16), get_little_endian<std::uint32_t>(bytes + 24)};
}

}  // namespace tp0::storage
