#include "server/draw/record_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "common/csv/reader.h"
#include "common/sys/file_io.h"
#include "common/sys/system_error.h"
#include "server/storage/journal_format.h"

namespace tp0::draw {
namespace {

// How much of a part one read takes in to check it.
constexpr std::size_t kCheckChunkBytes = std::size_t{64} * 1024;

std::optional<RecordHeader> read_header(int fd, const std::string& path, std::string& bytes) {
  sys::read_at(fd, 0, kHeaderBytes, bytes, "read draw record " + path);
  return decode_header(bytes);
}

std::optional<Part> read_index_line(int fd, const std::string& path, std::uint32_t index, std::string& bytes) {
  sys::read_at(fd, index_line_offset(index), kIndexLineBytes, bytes, "read draw record " + path);
  return decode_index_line(bytes);
}

// True when the file holds the part's bytes whole, as its checksum says.
bool holds_part(int fd, const std::string& path, const Part& part, std::string& bytes) {
  std::uint32_t checksum = storage::rows_checksum("");
  for (std::uint64_t done = 0; done < part.length; done += bytes.size()) {
    const auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(kCheckChunkBytes, part.length - done));
    sys::read_at(fd, part.offset + done, wanted, bytes, "read draw record " + path);
    if (bytes.size() != wanted) return false;
    checksum = storage::rows_checksum(bytes, checksum);
  }
  return checksum == part.checksum;
}

}  // namespace

sys::UniqueFd open_record(const std::string& path) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd && errno != ENOENT) throw sys::last_error("open draw record " + path);
  return fd;
}

bool is_whole(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) == -1) throw sys::last_error("stat draw record " + path);
  const auto size = static_cast<std::uint64_t>(info.st_size);
  std::string bytes;
  const auto header = read_header(fd, path, bytes);
  if (!header) return false;
  if (header->agencies == 0) return size == kHeaderBytes;
  const auto last = read_index_line(fd, path, header->agencies - 1, bytes);
  return last && last->offset >= parts_offset(header->agencies) && size == last->offset + last->length;
}

std::optional<Part> checked_part(int fd, const std::string& path, std::uint32_t agency) {
  std::string bytes;
  const auto header = read_header(fd, path, bytes);
  if (!header) return std::nullopt;
  // The index is sorted by agency.
  std::uint32_t low = 0;
  std::uint32_t high = header->agencies;
  while (low < high) {
    const std::uint32_t middle = low + (high - low) / 2;
    const auto line = read_index_line(fd, path, middle, bytes);
    if (!line) return std::nullopt;
    if (line->agency == agency) {
      if (line->offset < parts_offset(header->agencies) || !holds_part(fd, path, *line, bytes)) return std::nullopt;
      return line;
    }
    if (line->agency < agency) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return Part{agency, 0, 0, storage::rows_checksum("")};
}

std::uint64_t visit_documents(sys::UniqueFd fd, const std::string& path, const Part& part,
                              const std::function<void(const std::string&)>& visit) {
  if (part.length == 0) return 0;
  if (::lseek(fd.get(), static_cast<off_t>(part.offset), SEEK_SET) == -1) {
    throw sys::last_error("read draw record " + path);
  }
  const std::string agency = std::to_string(part.agency);
  const std::string source = path + " (agency " + agency + "'s part)";
  csv::CsvReader reader(std::move(fd), source, part.length);
  std::vector<std::string> fields;
  std::uint64_t documents = 0;
  while (reader.next(fields)) {
    if (fields.size() != 2 || fields[0] != agency) {
      throw std::runtime_error("draw record " + source + ":" + std::to_string(reader.line()) +
                               ": not a row of one of the agency's winners");
    }
    visit(fields[1]);
    ++documents;
  }
  return documents;
}

}  // namespace tp0::draw
