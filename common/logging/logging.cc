#include "common/logging/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

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
  Level level;
  spdlog::level::level_enum spdlog_level;
};

// The course prints Python's level names, which differ from spdlog's ("warning", not "warn").
constexpr std::array<LevelName, 5> kLevels{{
    {"DEBUG", Level::kDebug, spdlog::level::debug},
    {"INFO", Level::kInfo, spdlog::level::info},
    {"WARNING", Level::kWarning, spdlog::level::warn},
    {"ERROR", Level::kError, spdlog::level::err},
    {"CRITICAL", Level::kCritical, spdlog::level::critical},
}};

std::string_view name_of(spdlog::level::level_enum level) {
  for (const auto& entry : kLevels) {
    if (entry.spdlog_level == level) return entry.name;
  }
  return level == spdlog::level::trace ? "TRACE" : "NOTSET";
}

spdlog::level::level_enum spdlog_level_of(Level level) {
  for (const auto& entry : kLevels) {
    if (entry.level == level) return entry.spdlog_level;
  }
  throw std::invalid_argument("unknown log level " + std::to_string(static_cast<int>(level)));
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

Level parse_level(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& entry : kLevels) {
    if (entry.name == upper) return entry.level;
  }
  throw std::invalid_argument("unknown log level \"" + std::string(name) +
                              "\" (expected DEBUG, INFO, WARNING, ERROR or CRITICAL)");
}

void init(Level level) {
  auto logger = std::make_shared<spdlog::logger>(
      "tp0", std::make_shared<spdlog::sinks::stdout_sink_st>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelNameFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S %* %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog_level_of(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void debug(const Event& event) { spdlog::debug(event.text()); }
void info(const Event& event) { spdlog::info(event.text()); }
void warning(const Event& event) { spdlog::warn(event.text()); }
void error(const Event& event) { spdlog::error(event.text()); }

}  // namespace tp0::logging
