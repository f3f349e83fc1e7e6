#include "common/logging/event.h"

#include <cstdint>

namespace tp0::logging {
namespace {

std::string_view result_name(Result result) {
  switch (result) {
    case Result::kSuccess:
      return "success";
    case Result::kFail:
      return "fail";
    case Result::kInProgress:
      return "in_progress";
  }
  return "unknown";
}

void append_escaped_byte(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("\\x").push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 0x0f]);
}

// The length of the well-formed UTF-8 sequence of a code point that prints at the start
// of `text`, or 0. Refused besides malformed bytes (overlong forms, surrogates, past
// U+10FFFF): the C1 controls, and the line and paragraph separators and bidirectional
// controls, which can make a terminal show a line other than the one written.
std::size_t printable_sequence(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead < 0x80) return lead >= 0x20 && lead != 0x7f ? 1 : 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    code = lead & 0x1fU;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    code = lead & 0x0fU;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    code = lead & 0x07U;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0U) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3fU);
  }
  const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  const bool surrogate = code >= 0xd800 && code <= 0xdfff;
  const bool c1_control = code >= 0x80 && code <= 0x9f;
  const bool reorders_the_line = code == 0x2028 || code == 0x2029 || (code >= 0x202a && code <= 0x202e) ||
                                 (code >= 0x2066 && code <= 0x2069) || code == 0x200e || code == 0x200f;
  if (overlong || surrogate || code > 0x10ffff || c1_control || reorders_the_line) return 0;
  return length;
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
      append_escaped_byte(out, static_cast<unsigned char>(value[0]));
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
