#include <string_view>

#include "common/lottery/bet.h"

namespace tp0::lottery {
namespace {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values past
// U+10FFFF) and holds no control character.
bool printable_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (lead < 0x20 || lead == 0x7F) return false;
      ++i;
      continue;
    }
    std::size_t length;
    char32_t code_point;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code_point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code_point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) return false;
      code_point = code_point << 6 | (continuation & 0x3F);
    }
    const bool overlong = (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (overlong || surrogate || code_point > 0x10FFFF || (code_point >= 0x80 && code_point < 0xA0)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::optional<std::string> check_name(const char* field, const std::string& name) {
  if (name.empty()) return std::string(field) + " is empty";
  if (name.size() > kMaxNameBytes) {
    return std::string(field) + " is longer than " + std::to_string(kMaxNameBytes) + " bytes";
  }
  if (!printable_utf8(name)) {
    return std::string(field) + " is not valid UTF-8 text or holds control characters";
  }
  return std::nullopt;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int digits(std::string_view text) {
  int value = 0;
  for (const char c : text) value = value * 10 + (c - '0');
  return value;
}

bool real_date(const std::string& date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (const std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (date[i] < '0' || date[i] > '9') return false;
  }
  const int year = digits(std::string_view(date).substr(0, 4));
  const int month = digits(std::string_view(date).substr(5, 2));
  const int day = digits(std::string_view(date).substr(8, 2));
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
  return day <= kDaysInMonth[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
}

}  // namespace

std::optional<std::string> validate(const Bet& bet) {
  if (bet.agency == 0) return "agency must be 1 or more";
  if (auto problem = check_name("first_name", bet.first_name)) return problem;
  if (auto problem = check_name("last_name", bet.last_name)) return problem;
  if (bet.document.empty()) return "document is empty";
  if (bet.document.size() > kMaxDocumentDigits) {
    return "document is longer than " + std::to_string(kMaxDocumentDigits) + " digits";
  }
  for (const char c : bet.document) {
    if (c < '0' || c > '9') return "document must contain only digits";
  }
  if (!real_date(bet.birthdate)) {
    return "birthdate " + bet.birthdate + " is not a real date YYYY-MM-DD between 1900 and 2100";
  }
  if (bet.number > kMaxNumber) {
    return "number " + std::to_string(bet.number) + " is greater than " + std::to_string(kMaxNumber);
  }
  return std::nullopt;
}

}  // namespace tp0::lottery
