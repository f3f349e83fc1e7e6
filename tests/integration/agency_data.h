#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"

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

// Writes agency `id`'s file in the cluster's directory, `bets` bets of which `winners` won
// (write_agency_file), and starts the agency's client on it with `environment` on top.
AgencyData start_agency(Cluster& cluster, std::uint32_t id, std::size_t bets, std::size_t winners,
                        Environment environment = {});

// Waits for agency `id`'s client to exit 0 having learned its `winners` winners, in one
// line, and logged no failure.
void expect_served(Cluster& cluster, std::uint32_t id, std::size_t winners);

// The end of a round whose agencies are 1 to agencies.size(), agency i + 1 playing the file
// agencies[i]: each client is served (expect_served), and the bets file holds each agency's
// bets once, in the order of its file, and no other agency's.
void expect_round_complete(Cluster& cluster, const std::vector<AgencyData>& agencies);

}  // namespace tp0::testing
