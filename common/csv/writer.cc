#include "common/csv/writer.h"

#include <algorithm>

namespace tp0::csv {
namespace {

void append_field(std::string& out, std::string_view field) {
  const auto needs_quotes = [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; };
  if (std::none_of(field.begin(), field.end(), needs_quotes)) {
    out.append(field);
    return;
  }
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
  bool first = true;
  for (const std::string_view field : fields) {
    if (!first) out.push_back(',');
    first = false;
    append_field(out, field);
  }
  out.push_back('\n');
}

}  // namespace

void append_record(std::string& out, std::initializer_list<std::string_view> fields) {
  append_fields(out, fields);
}

void append_record(std::string& out, std::span<const std::string> fields) { append_fields(out, fields); }

}  // namespace tp0::csv
