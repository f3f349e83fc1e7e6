#include "common/csv/writer.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace tp0::csv {
namespace {

// The bytes that make a field need quotes, as a table: one load per byte to check.
constexpr std::array<bool, 256> kNeedsQuotes = [] {
  std::array<bool, 256> table{};
  for (const unsigned char c : {',', '"', '\r', '\n'}) table[c] = true;
  return table;
}();

bool needs_quotes(std::string_view field) {
  return std::any_of(field.begin(), field.end(),
                     [](char c) { return kNeedsQuotes[static_cast<unsigned char>(c)]; });
}

void append_quoted(std::string& out, std::string_view field) {
  out.push_back('"');
  for (const char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

template <typename Fields>
void append_fields(std::string& out, const Fields& fields) {
  // Unquoted, a record of one empty field would be an empty line, which readers skip.
  if (fields.size() == 1 && std::string_view(*fields.begin()).empty()) {
    out.append("\"\"\n");
    return;
  }
  std::size_t record_bytes = 0;  // each field and the comma or line end after it
  bool quoting = false;
  for (const std::string_view field : fields) {
    record_bytes += field.size() + 1;
    quoting = quoting || needs_quotes(field);
  }
  if (!quoting) {
    // The usual record: grown once and copied into place, not appended piece by piece.
    const std::size_t start = out.size();
    out.resize(start + record_bytes);
    char* cursor = out.data() + start;
    for (const std::string_view field : fields) {
      std::memcpy(cursor, field.data(), field.size());
      cursor += field.size();
      *cursor++ = ',';
    }
    cursor[-1] = '\n';
    return;
  }
  bool first = true;
  for (const std::string_view field : fields) {
    if (!first) out.push_back(',');
    first = false;
    if (needs_quotes(field)) {
      append_quoted(out, field);
    } else {
      out.append(field);
    }
  }
  out.push_back('\n');
}

}  // namespace

void append_record(std::string& out, std::initializer_list<std::string_view> fields) {
  append_fields(out, fields);
}

void append_record(std::string& out, std::span<const std::string> fields) { append_fields(out, fields); }

}  // namespace tp0::csv
