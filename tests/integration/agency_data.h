#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tp0::testing {

// What a test knows about an agency file it wrote.
struct AgencyData {
  std::string path;
  std::size_t bets = 0;
  std::size_t winners = 0;
};

// Writes `rows` deterministic bets (CRLF line ends, some UTF-8 and quoted names), of
// which `winners` chose 7574.
AgencyData write_agency_file(const std::string& path, std::uint32_t agency, std::size_t rows,
                             std::size_t winners);

// Counts the rows of an agency file and those with number 7574 (for the course's data).
AgencyData count_agency_file(const std::string& path);

// Each bet of an agency file as "document,number", in file order.
std::vector<std::string> bet_keys_of_agency_file(const std::string& path);

// Each bet of `agency` in a bets file as "document,number", in file order, read with the
// server's own reader.
std::vector<std::string> bet_keys_in_bets_file(const std::string& bets_path, std::uint32_t agency);

// The course's data set: TP0_DATASET if set, else shared/data beside the repository, else
// .data/dataset.zip inside it. Empty when none exists.
std::string find_dataset();

// Reads the bets file with the server's own reader (which rejects any torn or malformed
// row) and returns how many bets each agency has in it.
std::map<std::uint32_t, std::size_t> bets_per_agency(const std::string& bets_path);

}  // namespace tp0::testing
