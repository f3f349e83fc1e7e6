#pragma once

#include "common/text/decimal.h"

namespace tp0::storage {
using text::parse_decimal;
}  // namespace tp0::storage
