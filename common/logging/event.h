#pragma once

#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <type_traits>

namespace tp0::logging {

enum class Result { kSuccess, kFail, kInProgress };

// `value` as a log line shows it: every byte that is not printable UTF-8, and '|' and '\',
// written `\xHH`, so that it never breaks the line or the course's format.
std::string escaped(std::string_view value);

// One log message in the course's format:
//   action: <action> | result: <success|fail|in_progress> | key: value | ...
// Values are escaped (see escaped()), whatever a peer sent.
class Event {
 public:
  Event(std::string_view action, Result result);

  // `value` is an integer or anything a std::string_view can be made from.
  template <typename Value>
  Event& with(std::string_view key, const Value& value) {
    if constexpr (std::is_integral_v<Value>) {
      static_assert(!std::is_same_v<Value, bool>, "say what a flag means in words");
      std::array<char, 24> digits{};
      const char* end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
      return with_text(key, std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
    } else {
      return with_text(key, std::string_view(value));
    }
  }
  Event& with_text(std::string_view key, std::string_view value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace tp0::logging
