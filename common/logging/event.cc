#include "common/logging/event.h"

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

}  // namespace

Event::Event(std::string_view action, Result result) {
  text_.append("action: ").append(action).append(" | result: ").append(result_name(result));
}

Event& Event::with_text(std::string_view key, std::string_view value) {
  text_.append(" | ").append(key).append(": ");
  for (const char c : value) {
    if (c == '|') {
      text_.push_back('/');
    } else if (c == '\n' || c == '\r') {
      text_.push_back(' ');
    } else {
      text_.push_back(c);
    }
  }
  return *this;
}

}  // namespace tp0::logging
