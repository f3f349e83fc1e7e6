#include "common/csv/reader.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/sys/system_error.h"

namespace tp0::csv {

CsvReader CsvReader::open(const std::string& path) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) throw sys::last_error("open " + path);
  return CsvReader(std::move(fd), path);
}

CsvReader::CsvReader(sys::UniqueFd fd, std::string source_name)
    : fd_(std::move(fd)),
      source_name_(std::move(source_name)),
      buffer_(std::make_unique<char[]>(kBufferBytes)) {}

int CsvReader::peek() {
  if (position_ < end_) return static_cast<unsigned char>(buffer_[position_]);
  if (at_end_ || !fd_) return -1;
  const ssize_t received =
      sys::retry_on_eintr([&] { return ::read(fd_.get(), buffer_.get(), kBufferBytes); });
  if (received == -1) throw sys::last_error("read " + source_name_);
  position_ = 0;
  end_ = static_cast<std::size_t>(received);
  if (received == 0) {
    at_end_ = true;
    return -1;
  }
  return static_cast<unsigned char>(buffer_[0]);
}

void CsvReader::fail(const std::string& problem) const {
  throw CsvError(source_name_ + ":" + std::to_string(record_line_) + ": " + problem);
}

void CsvReader::append(std::string& field, char c) {
  if (++record_bytes_ > kMaxRecordBytes) {
    fail("record longer than " + std::to_string(kMaxRecordBytes) + " bytes");
  }
  field.push_back(c);
}

void CsvReader::read_quoted(std::string& field) {
  while (true) {
    const int c = peek();
    if (c == -1) fail("quoted field is never closed");
    advance();
    if (c == '"') {
      if (peek() != '"') return;
      advance();
    } else if (c == '\n') {
      ++current_line_;
    }
    append(field, static_cast<char>(c));
  }
}

bool CsvReader::next(std::vector<std::string>& fields) {
  // Blank lines between records are not records.
  while (true) {
    const int c = peek();
    if (c == -1) return false;
    if (c == '\n') {
      advance();
      ++current_line_;
    } else if (c == '\r') {
      advance();
    } else {
      break;
    }
  }
  record_line_ = current_line_;
  record_bytes_ = 0;
  std::size_t count = 0;
  while (true) {
    if (fields.size() <= count) fields.emplace_back();
    std::string& field = fields[count++];
    field.clear();
    bool quoted = false;
    if (peek() == '"') {
      advance();
      read_quoted(field);
      quoted = true;
    }
    while (true) {
      const int c = peek();
      if (c == -1) {
        fields.resize(count);
        return true;
      }
      advance();
      if (c == ',') break;
      if (c == '\n') {
        ++current_line_;
        fields.resize(count);
        return true;
      }
      if (c == '\r') {
        const int after = peek();
        if (after == '\n' || after == -1) continue;
        if (quoted) fail("text after a closing quote");
        append(field, '\r');
        continue;
      }
      if (quoted) fail("text after a closing quote");
      if (c == '"') fail("quote inside an unquoted field");
      append(field, static_cast<char>(c));
    }
  }
}

}  // namespace tp0::csv
