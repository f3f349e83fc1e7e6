#include "common/csv/writer.h"

namespace tp0::csv {

void append_record(std::string& out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (const std::string_view field : fields) {
    if (!first) out.push_back(',');
    first = false;
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
      out.append(field);
      continue;
    }
    out.push_back('"');
    for (const char c : field) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('\n');
}

}  // namespace tp0::csv
