#include "server/draw/record_writer.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>

#include "common/csv/writer.h"
#include "common/lottery/bet.h"
#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "server/draw/record_layout.h"
#include "server/storage/bets_file.h"
#include "server/storage/journal_format.h"

namespace tp0::draw {
namespace {

// What the agencies' buffers hold at most in all, unless there are so many agencies that
// each gets kSmallestBuffer (10,000 agencies: 2.5 MiB).
constexpr std::size_t kBuffersBytes = std::size_t{1} << 20;
constexpr std::size_t kSmallestBuffer = 256;

// Calls `visit` with each winning bet's agency and record row, in file order; returns
// the committed length read.
std::uint64_t for_each_winner_row(const std::string& bets_path,
                                  const std::function<void(std::uint32_t, std::string_view)>& visit) {
  storage::BetsFileReader reader(bets_path);
  lottery::Bet bet;
  std::string row;
  // Only rows on the winning number are read whole; has_won stays the rule that decides.
  while (reader.next_with_number(lottery::kWinningNumber, bet)) {
    if (!lottery::has_won(bet)) continue;
    row.clear();
    csv::append_record(row, {std::to_string(bet.agency), bet.document});
    visit(bet.agency, row);
  }
  return reader.committed_bytes();
}

// One agency's part as it is written.
struct PartWriter {
  Part part;
  std::uint64_t written = 0;
  std::uint32_t checksum = storage::rows_checksum("");
  std::string buffer;
};

}  // namespace

void write_record(const std::string& bets_path, const std::string& path, storage::Durability durability) {
  std::map<std::uint32_t, PartWriter> parts;  // in the index's order
  const std::uint64_t committed =
      for_each_winner_row(bets_path, [&](std::uint32_t agency, std::string_view row) {
        parts[agency].part.length += row.size();
      });
  std::uint64_t offset = parts_offset(static_cast<std::uint32_t>(parts.size()));
  for (auto& [agency, writer] : parts) {
    writer.part.agency = agency;
    writer.part.offset = offset;
    offset += writer.part.length;
  }
  const std::size_t buffer_bytes = std::max(kSmallestBuffer, kBuffersBytes / std::max<std::size_t>(parts.size(), 1));

  sys::UniqueFd fd(sys::retry_on_eintr(
      [&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("create draw record " + path);
  const std::string context = "write draw record " + path;
  const auto flush = [&](PartWriter& writer) {
    sys::write_all_at(fd.get(), writer.buffer, writer.part.offset + writer.written, context);
    writer.written += writer.buffer.size();
    writer.buffer.clear();
  };
  const auto changed = [&] {
    return std::runtime_error("the bets file " + bets_path + " changed while the draw's record " + path +
                              " was written");
  };
  const std::uint64_t committed_again =
      for_each_winner_row(bets_path, [&](std::uint32_t agency, std::string_view row) {
        const auto found = parts.find(agency);
        if (found == parts.end()) throw changed();
        PartWriter& writer = found->second;
        if (writer.written + writer.buffer.size() + row.size() > writer.part.length) throw changed();
        if (writer.buffer.size() + row.size() > buffer_bytes) flush(writer);
        if (writer.buffer.capacity() == 0) writer.buffer.reserve(buffer_bytes);
        writer.buffer += row;
        writer.checksum = storage::rows_checksum(row, writer.checksum);
      });
  if (committed_again != committed) throw changed();

  std::string head = encode_header({committed, static_cast<std::uint32_t>(parts.size())});
  for (auto& [agency, writer] : parts) {
    flush(writer);
    if (writer.written != writer.part.length) throw changed();
    writer.part.checksum = writer.checksum;
    head += encode_index_line(writer.part);
  }
  // Last, though first in the file: only now are the parts' checksums known.
  sys::write_all_at(fd.get(), head, 0, context);
  if (durability == storage::Durability::kMachine) sys::sync_data(fd.get(), "sync draw record " + path);
  fd.close();
}

}  // namespace tp0::draw
