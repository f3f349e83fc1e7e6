#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tp0::text {

// One code point and the bytes of its UTF-8 sequence.
struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;
};

// The code point whose UTF-8 sequence starts `text`, or nullopt when no well-formed one
// does (overlong forms, surrogates and values past U+10FFFF are refused, as RFC 3629
// asks). REQUIRES: `text` is not empty.
inline std::optional<CodePoint> decode_utf8(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  if (lead < 0x80) return CodePoint{lead, 1};
  CodePoint code;
  if (lead >= 0xC2 && lead <= 0xDF) {
    code = {lead & 0x1Fu, 2};
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    code = {lead & 0x0Fu, 3};
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    code = {lead & 0x07u, 4};
  } else {
    return std::nullopt;
  }
  if (text.size() < code.length) return std::nullopt;
  for (std::size_t i = 1; i < code.length; ++i) {
    const auto continuation = static_cast<unsigned char>(text[i]);
    if ((continuation & 0xC0u) != 0x80u) return std::nullopt;
    code.value = code.value << 6 | (continuation & 0x3Fu);
  }
  const bool overlong =
      (code.length == 3 && code.value < 0x800) || (code.length == 4 && code.value < 0x10000);
  const bool surrogate = code.value >= 0xD800 && code.value <= 0xDFFF;
  if (overlong || surrogate || code.value > 0x10FFFF) return std::nullopt;
  return code;
}

}  // namespace tp0::text
