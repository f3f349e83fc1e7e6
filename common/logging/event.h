#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace tp0::logging {

enum class Result { kSuccess, kFail, kInProgress };

// One log message in the course's format:
//   action: <action> | result: <success|fail|in_progress> | key: value | ...
// Values are cleaned so that a line never holds '|' or a line break, whatever a peer sent.
class Event {
 public:
  Event(std::string_view action, Result result);

  template <typename Value>
  Event& with(std::string_view key, const Value& value) {
    return with_text(key, fmt::format("{}", value));
  }
  Event& with_text(std::string_view key, std::string_view value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace tp0::logging
