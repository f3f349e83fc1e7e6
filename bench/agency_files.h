#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tp0::bench {

// The agency files one benchmark round sends: agency K's file is paths[K - 1].
struct AgencyFiles {
  std::string label;
  std::vector<std::string> paths;
  std::vector<std::size_t> winners;  // per agency, the rows that chose 7574
  std::size_t bets = 0;
};

// Writes `agencies` files into `directory` holding `bets` rows in all, in the course's
// format (CRLF, UTF-8 names). The same arguments always give the same bytes.
// Throws std::runtime_error naming the file that cannot be written.
AgencyFiles generate_agency_files(const std::string& directory, std::uint32_t agencies, std::size_t bets);

// Extracts the course's data set (agency-1.csv ... agency-5.csv) from `zip` into
// `directory`. Throws std::runtime_error when unzip fails or a file is missing.
AgencyFiles course_agency_files(const std::string& zip, const std::string& directory);

}  // namespace tp0::bench
