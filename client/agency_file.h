#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/csv/reader.h"
#include "common/lottery/bet.h"

namespace tp0::client {

// An agency's bets file, read as a stream: one CSV row per bet,
//   first_name,last_name,document,birthdate,number
// (CRLF or LF line ends, UTF-8, RFC 4180 quoting). Rows that are not valid bets are
// reported to `reject` with their line number and skipped, so that one bad row neither
// stops the agency nor reaches the server.
class AgencyFile {
 public:
  using RejectHandler = std::function<void(std::size_t line, const std::string& problem)>;

  // Opens `path`. Throws std::system_error naming the path if it cannot be opened.
  AgencyFile(const std::string& path, std::uint32_t agency, RejectHandler reject);

  // Fills `bet` with the next valid bet. Returns false at the end of the file.
  // Throws csv::CsvError when the file is not well-formed CSV (with its line).
  bool next(lottery::Bet& bet);

  // Closes the file now; the destructor does the same.
  void close() { reader_.close(); }

 private:
  std::uint32_t agency_;
  RejectHandler reject_;
  csv::CsvReader reader_;
  std::vector<std::string> fields_;
};

}  // namespace tp0::client
