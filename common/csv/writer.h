#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace tp0::csv {

// Appends one RFC 4180 record and its "\n" to `out`. A field is quoted only when it
// holds a comma, a quote, CR or LF; quotes inside it are doubled. A record of one empty
// field is written `""`, so that it is not mistaken for a blank line.
void append_record(std::string& out, std::initializer_list<std::string_view> fields);
void append_record(std::string& out, std::span<const std::string> fields);

}  // namespace tp0::csv
