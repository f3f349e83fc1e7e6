#include "common/csv/reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/sys/system_error.h"

namespace tp0::csv {

CsvReader CsvReader::open(const std::string& path) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) throw sys::last_error("open " + path);
  return CsvReader(std::move(fd), path);
}

CsvReader::CsvReader(sys::UniqueFd fd, std::string source_name, std::uint64_t byte_limit)
    : fd_(std::move(fd)),
      source_name_(std::move(source_name)),
      buffer_(std::make_unique<char[]>(kBufferBytes)),
      bytes_left_(byte_limit) {}

void CsvReader::close() {
  fd_.reset();
  // Bytes already buffered belong to the closed input too.
  position_ = end_ = 0;
}

bool CsvReader::fill(std::size_t count) {
  while (end_ - position_ < count) {
    if (input_ended_ || !fd_) return false;
    // Keep the unread tail so that a lookahead may straddle two reads.
    const std::size_t unread = end_ - position_;
    std::memmove(buffer_.get(), buffer_.get() + position_, unread);
    position_ = 0;
    end_ = unread;
    const std::size_t wanted =
        static_cast<std::size_t>(std::min<std::uint64_t>(kBufferBytes - end_, bytes_left_));
    const ssize_t received =
        wanted == 0 ? 0
                    : sys::retry_on_eintr([&] { return ::read(fd_.get(), buffer_.get() + end_, wanted); });
    if (received == -1) throw sys::last_error("read " + source_name_);
    if (received == 0) input_ended_ = true;
    end_ += static_cast<std::size_t>(received);
    bytes_left_ -= static_cast<std::uint64_t>(received);
  }
  return true;
}

int CsvReader::peek(std::size_t offset) {
  if (!fill(offset + 1)) return -1;
  return static_cast<unsigned char>(buffer_[position_ + offset]);
}

void CsvReader::take(std::size_t count) {
  record_bytes_ += count;
  if (record_bytes_ > kMaxRecordBytes)
    fail("record longer than " + std::to_string(kMaxRecordBytes) + " bytes");
  position_ += count;
}

bool CsvReader::at_line_end() {
  const int c = peek();
  if (c == '\n') return true;
  if (c != '\r') return false;
  const int after = peek(1);
  return after == '\n' || after == -1;
}

void CsvReader::take_line_end() {
  if (peek() == '\r') ++position_;
  if (peek() == '\n') {
    ++position_;
    ++current_line_;
  }
}

void CsvReader::fail(const std::string& problem) const {
  throw CsvError(source_name_ + ":" + std::to_string(record_line_) + ": " + problem);
}

template <typename EndsRun>
void CsvReader::take_run(std::string& field, EndsRun ends_run) {
  const char* begin = buffer_.get() + position_;
  const char* stop = std::find_if(begin, static_cast<const char*>(buffer_.get() + end_), ends_run);
  field.append(begin, stop);
  take(static_cast<std::size_t>(stop - begin));
}

bool CsvReader::read_unquoted(std::string& field) {
  while (true) {
    take_run(field, [](char c) { return c == ',' || c == '"' || c == '\n' || c == '\r'; });
    const int c = peek();
    if (c == -1) return true;
    if (c == ',') {
      take();
      return false;
    }
    if (c == '"') {
      take();
      fail("quote inside an unquoted field");
    }
    if (at_line_end()) {
      take_line_end();
      return true;
    }
    if (c == '\r') {
      take();
      field.push_back('\r');
    }
  }
}

bool CsvReader::read_quoted(std::string& field) {
  ++position_;  // the opening quote
  while (true) {
    take_run(field, [](char c) { return c == '"' || c == '\n'; });
    const int c = peek();
    if (c == -1) fail("quoted field is never closed");
    if (c == '"') {
      ++position_;  // a closing quote, or the first of a doubled one
      if (peek() != '"') break;
    } else if (c == '\n') {
      ++current_line_;
    }
    take();
    field.push_back(static_cast<char>(c));
  }
  const int c = peek();
  if (c == -1) return true;
  if (at_line_end()) {
    take_line_end();
    return true;
  }
  if (c != ',') fail("text after a closing quote");
  take();
  return false;
}

std::optional<std::string_view> CsvReader::plain_line() const {
  static_assert(kMaxRecordBytes >= kBufferBytes, "a line that fits in the buffer must be within the limit");
  const char* begin = buffer_.get() + position_;
  const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', end_ - position_));
  if (newline == nullptr) return std::nullopt;
  const auto line_bytes = static_cast<std::size_t>(newline - begin);
  if (std::memchr(begin, '"', line_bytes) != nullptr) return std::nullopt;
  // A CR right before the LF belongs to the line end; any other CR is data.
  return std::string_view(begin, line_bytes > 0 && newline[-1] == '\r' ? line_bytes - 1 : line_bytes);
}

void CsvReader::take_plain_line(std::string_view line) {
  const std::size_t line_end_bytes = line.data()[line.size()] == '\r' ? 2 : 1;
  position_ += line.size() + line_end_bytes;
  ++current_line_;
}

bool CsvReader::read_plain_line(std::vector<std::string>& fields) {
  const auto line = plain_line();
  if (!line) return false;
  const char* record_end = line->data() + line->size();
  std::size_t count = 0;
  for (const char* field = line->data();;) {
    const auto* comma = static_cast<const char*>(std::memchr(field, ',', record_end - field));
    if (fields.size() == count) fields.emplace_back();
    fields[count++].assign(field, comma == nullptr ? record_end : comma);
    if (comma == nullptr) break;
    field = comma + 1;
  }
  fields.resize(count);
  take_plain_line(*line);
  return true;
}

bool CsvReader::skip_plain_line_if(const std::function<bool(std::string_view)>& unwanted) {
  while (at_line_end()) take_line_end();
  const auto line = plain_line();
  if (!line || !unwanted(*line)) return false;
  record_line_ = current_line_;
  take_plain_line(*line);
  return true;
}

bool CsvReader::next(std::vector<std::string>& fields) {
  while (at_line_end()) take_line_end();
  if (peek() == -1) return false;
  record_line_ = current_line_;
  record_bytes_ = 0;
  if (read_plain_line(fields)) return true;
  std::size_t count = 0;
  bool record_ended = false;
  while (!record_ended) {
    if (fields.size() == count) fields.emplace_back();
    std::string& field = fields[count++];
    field.clear();
    record_ended = peek() == '"' ? read_quoted(field) : read_unquoted(field);
  }
  fields.resize(count);
  return true;
}

}  // namespace tp0::csv
