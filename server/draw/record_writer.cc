#include "server/draw/record_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string_view>

#include "common/coding/coding.h"
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
// How much of the rows aside is written or read at once.
constexpr std::size_t kAsideChunkBytes = std::size_t{256} * 1024;
// Before each row aside: its agency and its length, 4 bytes each, little-endian.
constexpr std::size_t kAsideRowHeaderBytes = 8;

// The winning rows in bets file order, each with its agency, kept between the two passes
// in a file that has no name once it is open, so that nothing of it outlives the writing.
class RowsAside {
 public:
  explicit RowsAside(std::string path) : path_(std::move(path)) {
    fd_ = sys::UniqueFd(sys::retry_on_eintr(
        [&] { return ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); }));
    if (!fd_) throw sys::last_error("create " + path_);
    sys::remove_if_present(path_, "remove " + path_);
  }

  void add(std::uint32_t agency, std::string_view row) {
    char header[kAsideRowHeaderBytes];
    coding::put_little_endian<std::uint32_t>(header, agency);
    coding::put_little_endian<std::uint32_t>(header + 4, static_cast<std::uint32_t>(row.size()));
    buffer_.append(header, sizeof header).append(row);
    if (buffer_.size() >= kAsideChunkBytes) flush();
  }

  // From now on, next() reads the rows back from the first.
  void rewind() {
    flush();
    if (::lseek(fd_.get(), 0, SEEK_SET) == -1) throw sys::last_error("read " + path_);
  }

  // The next row and its agency; false at the end. `row` holds until the next call.
  bool next(std::uint32_t& agency, std::string_view& row) {
    while (true) {
      const std::size_t unread = buffer_.size() - position_;
      if (unread >= kAsideRowHeaderBytes) {
        const char* at = buffer_.data() + position_;
        const auto length = coding::get_little_endian<std::uint32_t>(at + 4);
        if (unread >= kAsideRowHeaderBytes + length) {
          agency = coding::get_little_endian<std::uint32_t>(at);
          row = std::string_view(at + kAsideRowHeaderBytes, length);
          position_ += kAsideRowHeaderBytes + length;
          return true;
        }
      }
      buffer_.erase(0, position_);
      position_ = 0;
      const std::size_t kept = buffer_.size();
      buffer_.resize(kept + kAsideChunkBytes);
      const ssize_t got =
          sys::retry_on_eintr([&] { return ::read(fd_.get(), buffer_.data() + kept, kAsideChunkBytes); });
      if (got == -1) throw sys::last_error("read " + path_);
      buffer_.resize(kept + static_cast<std::size_t>(got));
      if (got == 0) {
        if (kept != 0) throw std::runtime_error(path_ + " ends in the middle of a row");
        return false;
      }
    }
  }

 private:
  void flush() {
    sys::write_all(fd_.get(), buffer_, "write " + path_);
    buffer_.clear();
  }

  std::string path_;
  sys::UniqueFd fd_;
  std::string buffer_;        // written: the rows not yet written; read: the bytes read
  std::size_t position_ = 0;  // read: the first unread byte of buffer_
};

// Puts aside each winning bet's record row, in file order, and counts the bytes of each
// agency's part into `parts`; returns the committed length read.
template <typename Parts>
std::uint64_t put_winner_rows_aside(const std::string& bets_path, RowsAside& aside, Parts& parts) {
  storage::BetsFileReader reader(bets_path);
  lottery::Bet bet;
  std::string row;
  // Only rows on the winning number are read whole; has_won stays the rule that decides.
  while (reader.next_with_number(lottery::kWinningNumber, bet)) {
    if (!lottery::has_won(bet)) continue;
    row.clear();
    csv::append_record(row, {std::to_string(bet.agency), bet.document});
    aside.add(bet.agency, row);
    parts[bet.agency].part.length += row.size();
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
  RowsAside aside(path + ".rows");
  std::map<std::uint32_t, PartWriter> parts;  // in the index's order
  const std::uint64_t committed = put_winner_rows_aside(bets_path, aside, parts);
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
  aside.rewind();
  std::uint32_t agency = 0;
  std::string_view row;
  while (aside.next(agency, row)) {
    PartWriter& writer = parts.at(agency);
    if (writer.buffer.size() + row.size() > buffer_bytes) flush(writer);
    if (writer.buffer.capacity() == 0) writer.buffer.reserve(buffer_bytes);
    writer.buffer += row;
    writer.checksum = storage::rows_checksum(row, writer.checksum);
  }

  std::string head = encode_header({committed, static_cast<std::uint32_t>(parts.size())});
  for (auto& [id, writer] : parts) {
    flush(writer);
    writer.part.checksum = writer.checksum;
    head += encode_index_line(writer.part);
  }
  // Last, though first in the file: only now are the parts' checksums known.
  sys::write_all_at(fd.get(), head, 0, context);
  if (durability == storage::Durability::kMachine) sys::sync_data(fd.get(), "sync draw record " + path);
  fd.close();
}

}  // namespace tp0::draw
