#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "common/logging/event.h"

// The programs' log, behind a facade: only logging.cc knows the library that writes it.
namespace tp0::logging {

enum class Level { kDebug, kInfo, kWarning, kError, kCritical };

// The levels' names, in the order of the enumerators: the course's (Python's), which the
// log prints and the settings accept in any case.
inline constexpr std::array<std::string_view, 5> kLevelNames{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};

inline std::string_view level_name(Level level) { return kLevelNames.at(static_cast<std::size_t>(level)); }

// Makes the log write to stdout as
//   2024-08-21 22:11:15 INFO     action: ...
// flushing every line, and drop events below `level`. The logger is synchronous and has
// no thread, so it keeps working in children forked after this call.
void init(Level level);

void debug(const Event& event);
void info(const Event& event);
void warning(const Event& event);
void error(const Event& event);

}  // namespace tp0::logging
