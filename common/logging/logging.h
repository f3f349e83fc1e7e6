#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/logging/event.h"

namespace tp0::logging {

// Parses DEBUG, INFO, WARNING, ERROR or CRITICAL, in any case.
// Throws std::invalid_argument for anything else.
spdlog::level::level_enum parse_level(std::string_view name);

// Makes the default logger write to stdout as
//   2024-08-21 22:11:15 INFO     action: ...
// flushing every line. The logger is synchronous and has no thread, so it keeps working
// in children forked after this call.
void init(spdlog::level::level_enum level);

inline void debug(const Event& event) { spdlog::debug(event.text()); }
inline void info(const Event& event) { spdlog::info(event.text()); }
inline void warning(const Event& event) { spdlog::warn(event.text()); }
inline void error(const Event& event) { spdlog::error(event.text()); }

}  // namespace tp0::logging
