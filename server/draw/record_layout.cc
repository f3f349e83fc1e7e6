#include "server/draw/record_layout.h"

#include <charconv>
#include <initializer_list>
#include <vector>

#include "common/text/decimal.h"
#include "server/storage/journal_format.h"

namespace tp0::draw {
namespace {

constexpr std::size_t kCountWidth = 10;   // a 32-bit number
constexpr std::size_t kLengthWidth = 20;  // a 64-bit number

// Appends `value` as `width` decimal digits, with leading zeros.
void append_padded(std::string& out, std::uint64_t value, std::size_t width) {
  char digits[kLengthWidth];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  const auto size = static_cast<std::size_t>(end - digits);
  out.append(width - size, '0');
  out.append(digits, size);
  out += ',';
}

// Ends a line made of append_padded() fields with the checksum of what it holds.
std::string with_checksum(std::string line) {
  append_padded(line, storage::rows_checksum(line), kCountWidth);
  line.back() = '\n';
  return line;
}

// The fields of a line with_checksum() made of fields of `widths`, its checksum last;
// nullopt when it is not one: wrong size, separators, digits or checksum.
std::optional<std::vector<std::uint64_t>> checked_fields(std::string_view line,
                                                         std::initializer_list<std::size_t> widths) {
  std::vector<std::uint64_t> fields;
  std::size_t at = 0;
  for (const std::size_t width : widths) {
    const char separator = fields.size() + 1 == widths.size() ? '\n' : ',';
    if (at + width >= line.size() || line[at + width] != separator) return std::nullopt;
    const auto value = text::parse_decimal<std::uint64_t>(line.substr(at, width));
    if (!value) return std::nullopt;
    fields.push_back(*value);
    at += width + 1;
  }
  if (at != line.size()) return std::nullopt;
  const std::size_t checksummed = line.size() - kCountWidth - 1;
  if (fields.back() != storage::rows_checksum(line.substr(0, checksummed))) return std::nullopt;
  return fields;
}

}  // namespace

std::string encode_header(const RecordHeader& header) {
  std::string line;
  append_padded(line, header.committed_length, kLengthWidth);
  append_padded(line, header.agencies, kCountWidth);
  return with_checksum(std::move(line));
}

std::optional<RecordHeader> decode_header(std::string_view bytes) {
  const auto fields = checked_fields(bytes, {kLengthWidth, kCountWidth, kCountWidth});
  if (!fields || (*fields)[1] > UINT32_MAX) return std::nullopt;
  return RecordHeader{(*fields)[0], static_cast<std::uint32_t>((*fields)[1])};
}

std::string encode_index_line(const Part& part) {
  std::string line;
  append_padded(line, part.agency, kCountWidth);
  append_padded(line, part.offset, kLengthWidth);
  append_padded(line, part.length, kLengthWidth);
  append_padded(line, part.checksum, kCountWidth);
  return with_checksum(std::move(line));
}

std::optional<Part> decode_index_line(std::string_view bytes) {
  const auto fields = checked_fields(bytes, {kCountWidth, kLengthWidth, kLengthWidth, kCountWidth, kCountWidth});
  if (!fields || (*fields)[0] > UINT32_MAX || (*fields)[3] > UINT32_MAX) return std::nullopt;
  return Part{static_cast<std::uint32_t>((*fields)[0]), (*fields)[1], (*fields)[2],
              static_cast<std::uint32_t>((*fields)[3])};
}

}  // namespace tp0::draw
