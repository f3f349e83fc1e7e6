#include "common/logging/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <string>

namespace tp0::logging {
namespace {

struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
};

// The course prints Python's level names, which differ from spdlog's ("warning", not "warn").
constexpr std::array<LevelName, 5> kLevels{{
    {"DEBUG", spdlog::level::debug},
    {"INFO", spdlog::level::info},
    {"WARNING", spdlog::level::warn},
    {"ERROR", spdlog::level::err},
    {"CRITICAL", spdlog::level::critical},
}};

std::string_view name_of(spdlog::level::level_enum level) {
  for (const auto& entry : kLevels) {
    if (entry.level == level) return entry.name;
  }
  return level == spdlog::level::trace ? "TRACE" : "NOTSET";
}

// Prints the level name upper-case and padded to 8 columns, as Python's "%(levelname)-8s".
class LevelNameFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& destination) override {
    const std::string_view name = name_of(message.level);
    destination.append(name.data(), name.data() + name.size());
    for (std::size_t column = name.size(); column < 8; ++column) destination.push_back(' ');
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelNameFlag>();
  }
};

}  // namespace

spdlog::level::level_enum parse_level(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& entry : kLevels) {
    if (entry.name == upper) return entry.level;
  }
  throw std::invalid_argument("unknown log level \"" + std::string(name) +
                              "\" (expected DEBUG, INFO, WARNING, ERROR or CRITICAL)");
}

void init(spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>(
      "tp0", std::make_shared<spdlog::sinks::stdout_sink_st>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelNameFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S %* %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace tp0::logging
