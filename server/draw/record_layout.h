#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tp0::draw {

// The byte layout of the draw's record (docs/journal.md, "The draw's record"): a header,
// an index of one line per agency with winners, ascending, then each of those agencies'
// part, in the index's order: its `agency,document` rows (RFC 4180), in bets file order.
// Numbers are decimal, zero-padded to a fixed width, so that the header and each index
// line have a fixed size: a reader finds an agency's line by binary search, and checks
// that line and that part alone, without reading the rest.
//
//   header (43 bytes):      committed_length(20),agencies(10),checksum(10)\n
//   index line (75 bytes):  agency(10),offset(20),length(20),part_checksum(10),checksum(10)\n
//
// A line's checksum is storage::rows_checksum() of the bytes before it (its other fields
// and their commas); a part's is that of its rows; offsets count from the file's start.
inline constexpr std::size_t kHeaderBytes = 43;
inline constexpr std::size_t kIndexLineBytes = 75;

struct RecordHeader {
  std::uint64_t committed_length = 0;  // of the bets file the draw saw
  std::uint32_t agencies = 0;          // index lines: agencies with at least one winner
};

// Where one agency's rows are.
struct Part {
  std::uint32_t agency = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // 0: the agency has no winners (and no index line)
  std::uint32_t checksum = 0;
};

std::string encode_header(const RecordHeader& header);
// nullopt unless `bytes` is one encode_header() wrote: a torn, never-written or damaged header.
std::optional<RecordHeader> decode_header(std::string_view bytes);

std::string encode_index_line(const Part& part);
// nullopt unless `bytes` is one encode_index_line() wrote.
std::optional<Part> decode_index_line(std::string_view bytes);

// Where the index line `index` starts, and where the parts start after `agencies` lines.
constexpr std::uint64_t index_line_offset(std::uint32_t index) {
  return kHeaderBytes + std::uint64_t{index} * kIndexLineBytes;
}
constexpr std::uint64_t parts_offset(std::uint32_t agencies) { return index_line_offset(agencies); }

}  // namespace tp0::draw
