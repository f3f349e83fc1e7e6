#include "common/logging/event.h"

#include "common/text/utf8.h"

namespace tp0::logging {
namespace {

std::string_view result_name(Result result) {
  static constexpr std::string_view kNames[] = {"success", "fail", "in_progress"};
  return kNames[static_cast<std::size_t>(result)];
}

// The length of the well-formed UTF-8 sequence of a code point that prints at the start
// of `text`, or 0. Refused besides malformed bytes: the C0 and C1 controls, and the line
// and paragraph separators and bidirectional controls, which can make a terminal show a
// line other than the one written.
std::size_t printable_sequence(std::string_view text) {
  const auto code = text::decode_utf8(text);
  if (!code) return 0;
  const char32_t c = code->value;
  const bool control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
  const bool reorders_the_line = c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
                                 (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f;
  return control || reorders_the_line ? 0 : code->length;
}

}  // namespace

Event::Event(std::string_view action, Result result) {
  text_.append("action: ").append(action).append(" | result: ").append(result_name(result));
}

// Values may come from a peer. Whatever it sent, a line stays one line of the course's
// format that shows what was received: '|' (the separator) and '\' (the escape) are
// escaped too, so the escaped text reads back to exactly the bytes received.
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  while (!value.empty()) {
    const std::size_t length = printable_sequence(value);
    if (length == 0 || value[0] == '|' || value[0] == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(value[0]);
      out.append("\\x").append({kHex[byte >> 4], kHex[byte & 0x0f]});
      value.remove_prefix(1);
    } else {
      out.append(value.substr(0, length));
      value.remove_prefix(length);
    }
  }
  return out;
}

Event& Event::with_text(std::string_view key, std::string_view value) {
  text_.append(" | ").append(key).append(": ").append(escaped(value));
  return *this;
}

}  // namespace tp0::logging
