#include <string>
#include <string_view>

#include "common/lottery/bet.h"
#include "common/text/decimal.h"
#include "common/text/utf8.h"

namespace tp0::lottery {
namespace {

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
    const auto code = text::decode_utf8(name.substr(i));
    if (!code) return std::string(field) + " is not valid UTF-8";
    i += code->length;
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

bool is_leap_year(unsigned year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(unsigned year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month - 1] + (month == 2 && is_leap_year(year) ? 1 : 0);
}

std::optional<std::string> check_birthdate(const std::string& date) {
  // The text itself is not echoed: it may hold anything, including line breaks.
  static constexpr const char* kNotInForm = "birthdate is not in YYYY-MM-DD form";
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return kNotInForm;
  const auto part = [&](std::size_t at, std::size_t size) {
    return text::parse_decimal<unsigned>(std::string_view(date).substr(at, size));
  };
  const auto year = part(0, 4);
  const auto month = part(5, 2);
  const auto day = part(8, 2);
  if (!year || !month || !day) return kNotInForm;
  if (*year < 1900 || *year > 2100) return "birthdate " + date + " is not between 1900 and 2100";
  if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month)) {
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
