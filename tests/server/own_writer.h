#pragma once

#include <string>

#include "server/storage/bets_file.h"
#include "server/storage/stream_table.h"

namespace tp0::storage {

// A bets file writer with a stream table of its own (streams 1 to 3), as a process that
// shares none has: it reads the journal from its start.
class OwnWriter : private StreamTable, public BetsFileWriter {
 public:
  explicit OwnWriter(const std::string& path) : StreamTable({1, 2, 3}), BetsFileWriter(path, *this) {}
};

}  // namespace tp0::storage
