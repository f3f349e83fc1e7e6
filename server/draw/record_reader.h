#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/sys/unique_fd.h"
#include "server/draw/record_layout.h"

namespace tp0::draw {

// Reading the draw's record (record_layout.h) one agency at a time: what one answer
// reads is the header, the index lines a binary search visits and the agency's part,
// through buffers of a fixed size, whatever the size of the record.

// The record at `path` opened for reading; an invalid descriptor when there is none.
// Throws std::system_error naming the file.
sys::UniqueFd open_record(const std::string& path);

// True when the record's header and last index line are whole and the file is as long
// as they say: not cut short, as a crash of the machine can leave a record renamed
// before its bytes reached the disk. Throws std::system_error naming the file.
bool is_whole(int fd, const std::string& path);

// Where `agency`'s rows are, once its index line and its rows have matched their
// checksums (a part of length 0 when the index has no line for it); nullopt when the
// header, a line the search read or the part does not (a torn record).
// Throws std::system_error naming the file.
std::optional<Part> checked_part(int fd, const std::string& path, std::uint32_t agency);

// Calls `visit` with the document of each row of `part` (checked_part()'s), in order, and
// returns how many. Throws std::runtime_error naming the record when a row is not one of
// the agency's winners, csv::CsvError for one that is not CSV, std::system_error.
std::uint64_t visit_documents(sys::UniqueFd fd, const std::string& path, const Part& part,
                              const std::function<void(const std::string&)>& visit);

}  // namespace tp0::draw
