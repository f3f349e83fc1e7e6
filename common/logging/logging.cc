#include "common/logging/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>

namespace tp0::logging {
namespace {

// In the order of Level's enumerators, as kLevelNames, whose names differ from spdlog's
// ("warning", not "warn").
constexpr std::array<spdlog::level::level_enum, kLevelNames.size()> kSpdlogLevels{
    spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err,
    spdlog::level::critical};

std::string_view name_of(spdlog::level::level_enum level) {
  for (std::size_t i = 0; i < kSpdlogLevels.size(); ++i) {
    if (kSpdlogLevels[i] == level) return kLevelNames[i];
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

  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<LevelNameFlag>(); }
};

}  // namespace

void init(Level level) {
  auto logger = std::make_shared<spdlog::logger>("tp0", std::make_shared<spdlog::sinks::stdout_sink_st>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelNameFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S %* %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(kSpdlogLevels.at(static_cast<std::size_t>(level)));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void debug(const Event& event) { spdlog::debug(event.text()); }
void info(const Event& event) { spdlog::info(event.text()); }
void warning(const Event& event) { spdlog::warn(event.text()); }
void error(const Event& event) { spdlog::error(event.text()); }

}  // namespace tp0::logging
