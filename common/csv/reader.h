#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/sys/unique_fd.h"

namespace tp0::csv {

// The input is not well-formed CSV. what() names the source and the line.
class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads RFC 4180 records from a file descriptor as a stream, through a fixed 64 KiB
// buffer, so a file larger than memory costs no more than a small one. Accepts LF and
// CRLF line ends, quoted fields (with embedded commas, doubled quotes and line breaks),
// and passes UTF-8 through untouched. Blank lines are skipped.
class CsvReader {
 public:
  static constexpr std::size_t kBufferBytes = 64 * 1024;
  // A record longer than this is refused rather than grown without bound.
  static constexpr std::size_t kMaxRecordBytes = 64 * 1024;

  // Opens `path` for reading. Throws std::system_error naming the path.
  static CsvReader open(const std::string& path);

  // Reads from `fd`; `source_name` names it in errors.
  CsvReader(sys::UniqueFd fd, std::string source_name);

  // Fills `fields` with the next record (reusing its strings). Returns false at the end.
  // Throws CsvError for a quote inside an unquoted field, text after a closing quote, an
  // unterminated quote or a record over kMaxRecordBytes; std::system_error if reading fails.
  bool next(std::vector<std::string>& fields);

  // The line where the last record returned starts (1-based).
  std::size_t line() const { return record_line_; }

  // Closes the file now; later calls to next() return false.
  void close() { fd_.reset(); }

 private:
  // Returns the next byte without consuming it, or -1 at the end of input.
  int peek();
  void advance() { ++position_; }
  [[noreturn]] void fail(const std::string& problem) const;
  void append(std::string& field, char c);
  // Reads one quoted field (the opening quote already consumed) into `field`.
  void read_quoted(std::string& field);

  sys::UniqueFd fd_;
  std::string source_name_;
  std::unique_ptr<char[]> buffer_;
  std::size_t position_ = 0;
  std::size_t end_ = 0;
  bool at_end_ = false;
  std::size_t current_line_ = 1;
  std::size_t record_line_ = 0;
  std::size_t record_bytes_ = 0;
};

}  // namespace tp0::csv
