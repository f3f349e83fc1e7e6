#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/sys/unique_fd.h"

namespace tp0::csv {

// The input is not well-formed CSV. what() reads "<source>:<line>: <problem>", where
// <line> is the 1-based line on which the offending record starts.
class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads RFC 4180 records from a file descriptor as a stream, through a fixed 64 KiB
// buffer, so a file larger than memory costs no more than a small one.
//
// Accepted: LF and CRLF line ends (a CR counts as part of a line end only when an LF or
// the end of input follows it; any other CR is data), quoted fields holding commas,
// doubled quotes and line breaks, and any bytes otherwise (UTF-8 passes through as is).
// Blank lines are not records. The last line needs no line end.
class CsvReader {
 public:
  static constexpr std::size_t kBufferBytes = std::size_t{64} * 1024;
  // A record whose fields and commas take more bytes than this is refused, so that one
  // malformed line cannot make the reader grow without bound. Quoting does not count: a
  // record the writer quoted is accepted whenever the record it started from was.
  static constexpr std::size_t kMaxRecordBytes = std::size_t{64} * 1024;

  // Opens `path` read-only. Throws std::system_error naming the path on failure.
  static CsvReader open(const std::string& path);

  // Reads from `fd`; `source_name` names the input in every error. The input ends after
  // `byte_limit` bytes even if `fd` holds more (for a file whose tail is not yet valid).
  CsvReader(sys::UniqueFd fd, std::string source_name,
            std::uint64_t byte_limit = std::numeric_limits<std::uint64_t>::max());

  // On success fills `fields` with the next record, reusing the strings already in it,
  // and returns true; returns false at the end of input.
  // Throws CsvError for a quote inside an unquoted field, text after a closing quote, a
  // quote still open at the end of input or a record over kMaxRecordBytes, and
  // std::system_error naming the source if reading fails. After a throw the reader is
  // positioned mid-record and must not be used further.
  bool next(std::vector<std::string>& fields);

  // Skips the next record unread when it is a whole buffered line without quotes and
  // `unwanted` holds for its text (line end excluded), and returns true; otherwise
  // returns false, having consumed nothing but blank lines. For a reader that wants few
  // of many records and can tell the others from their raw text, such as the winners
  // among all bets: the records it skips are not checked.
  bool skip_plain_line_if(const std::function<bool(std::string_view)>& unwanted);

  // The 1-based line on which the record last returned by next() starts.
  std::size_t line() const { return record_line_; }
  // Throws CsvError "<source>:<line>: <problem>" for that record: the reader's own
  // refusals, and a caller's that finds its fields wrong.
  [[noreturn]] void fail(const std::string& problem) const;

  // Closes the input now; later calls to next() return false.
  void close();

 private:
  // Returns the byte `offset` places ahead without consuming it, or -1 if the input ends
  // before it.
  int peek(std::size_t offset = 0);
  // Ensures `count` unread bytes are buffered; false if the input ends first.
  bool fill(std::size_t count);
  // Consumes `count` bytes of fields or commas, enforcing kMaxRecordBytes. Quotes that
  // only delimit or escape are consumed without it.
  void take(std::size_t count = 1);
  // Consumes the buffered bytes up to the first for which `ends_run` holds (or up to the
  // end of the buffer) into `field` with take(): the common bytes of a field go over in
  // one append instead of one by one.
  template <typename EndsRun>
  void take_run(std::string& field, EndsRun ends_run);
  bool at_line_end();
  void take_line_end();

  // The common case at a fraction of the cost: when the record is a whole buffered line
  // without quotes, splits it at its commas and returns true. Returns false, having
  // consumed nothing, when the general path must read the record.
  bool read_plain_line(std::vector<std::string>& fields);
  // The next record's text when it is a whole buffered line without quotes.
  std::optional<std::string_view> plain_line() const;
  // Consumes the line plain_line() returned.
  void take_plain_line(std::string_view line);

  // Each reads one field into `field` along with the separator after it, and returns
  // true when that separator ended the record.
  bool read_unquoted(std::string& field);
  bool read_quoted(std::string& field);

  sys::UniqueFd fd_;
  std::string source_name_;
  std::unique_ptr<char[]> buffer_;
  std::size_t position_ = 0;  // next unread byte in buffer_
  std::size_t end_ = 0;       // one past the last buffered byte
  bool input_ended_ = false;
  std::uint64_t bytes_left_;  // of byte_limit, not yet read from fd_
  std::size_t current_line_ = 1;
  std::size_t record_line_ = 0;
  std::size_t record_bytes_ = 0;
};

}  // namespace tp0::csv
