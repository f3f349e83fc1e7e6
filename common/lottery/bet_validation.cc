#include <string>
#include <string_view>

#include "common/lottery/bet.h"

namespace tp0::lottery {
namespace {

// Length of the UTF-8 sequence starting at `text[i]`, or 0 when no well-formed one does
// (overlong forms, surrogates and values past U+10FFFF are rejected, as RFC 3629 asks).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  char32_t code_point = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto continuation = static_cast<unsigned char>(text[i + k]);
    if ((continuation & 0xC0u) != 0x80u) return 0;
    code_point = code_point << 6 | (continuation & 0x3Fu);
  }
  const bool overlong = (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (overlong || surrogate || code_point > 0x10FFFF) return 0;
  return length;
}

std::optional<std::string> check_name(std::string_view field, std::string_view name) {
  if (name.empty()) return std::string(field) + " is empty";
  if (name.size() > kMaxNameBytes) {
    return std::string(field) + " is longer than " + std::to_string(kMaxNameBytes) + " bytes";
  }
  for (std::size_t i = 0; i < name.size();) {
    const auto byte = static_cast<unsigned char>(name[i]);
    if (byte >= 0x20 && byte < 0x7F) {  // printable ASCII: most of every name
      ++i;
      continue;
    }
    // A line break or tab in a name would break the log lines and files it ends up in.
    if (byte < 0x80) return std::string(field) + " contains a control character";
    const std::size_t length = utf8_sequence_length(name, i);
    if (length == 0) return std::string(field) + " is not valid UTF-8";
    i += length;
  }
  return std::nullopt;
}

std::optional<std::string> check_document(std::string_view document) {
  if (document.empty()) return "document is empty";
  if (document.size() > kMaxDocumentDigits) {
    return "document is longer than " + std::to_string(kMaxDocumentDigits) + " digits";
  }
  for (const char c : document) {
    if (c < '0' || c > '9') return "document must contain only digits";
  }
  return std::nullopt;
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month - 1] + (month == 2 && is_leap_year(year) ? 1 : 0);
}

// Value of the ASCII digits text[begin, begin + count); the caller has checked they are digits.
int digits_value(std::string_view text, std::size_t begin, std::size_t count) {
  int value = 0;
  for (std::size_t i = begin; i < begin + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

std::optional<std::string> check_birthdate(const std::string& date) {
  bool well_formed = date.size() == 10;
  for (std::size_t i = 0; well_formed && i < date.size(); ++i) {
    const bool separator = i == 4 || i == 7;
    well_formed = separator ? date[i] == '-' : date[i] >= '0' && date[i] <= '9';
  }
  // The text itself is not echoed: it may hold anything, including line breaks.
  if (!well_formed) return "birthdate is not in YYYY-MM-DD form";
  const int year = digits_value(date, 0, 4);
  const int month = digits_value(date, 5, 2);
  const int day = digits_value(date, 8, 2);
  if (year < 1900 || year > 2100) return "birthdate " + date + " is not between 1900 and 2100";
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    return "birthdate " + date + " is not a real date";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate(const Bet& bet) {
  if (bet.agency == 0) return "agency must be 1 or more";
  if (auto problem = check_name("first_name", bet.first_name)) return problem;
  if (auto problem = check_name("last_name", bet.last_name)) return problem;
  if (auto problem = check_document(bet.document)) return problem;
  if (auto problem = check_birthdate(bet.birthdate)) return problem;
  if (bet.number > kMaxNumber) {
    return "number " + std::to_string(bet.number) + " is greater than " + std::to_string(kMaxNumber);
  }
  return std::nullopt;
}

}  // namespace tp0::lottery
