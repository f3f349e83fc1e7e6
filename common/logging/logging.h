#pragma once

#include <string_view>

#include "common/logging/event.h"

// The programs' log, behind a facade: only logging.cc knows the library that writes it.
namespace tp0::logging {

enum class Level { kDebug, kInfo, kWarning, kError, kCritical };

// Parses DEBUG, INFO, WARNING, ERROR or CRITICAL, in any case.
// Throws std::invalid_argument for anything else.
Level parse_level(std::string_view name);

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
