#include "tests/integration/agency_data.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/csv/reader.h"
#include "server/storage/bets_file.h"
#include "tests/support/process.h"

namespace tp0::testing {

AgencyData write_agency_file(const std::string& path, std::uint32_t agency, std::size_t rows,
                             std::size_t winners) {
  static const char* const kFirstNames[] = {"Santiago Lionel", "Tiago Nicolás", "\"Ana, María\"", "Joaquín",
                                            "Zoë"};
  static const char* const kLastNames[] = {"Lorca", "Rivera", "Pérez", "\"O\"\"Neill\"", "Núñez"};
  std::string content;
  std::size_t placed_winners = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    // Spread the winners over the file; no other row picks 7574.
    const bool winner = placed_winners < winners && i % (rows / std::max<std::size_t>(winners, 1)) == 0;
    unsigned number = static_cast<unsigned>((i * 7919 + std::size_t{agency} * 31) % 10000);
    if (number == 7574) number = 7575;
    if (winner) {
      number = 7574;
      ++placed_winners;
    }
    content += std::string(kFirstNames[i % 5]) + "," + kLastNames[(i / 5) % 5] + "," +
               std::to_string(std::size_t{agency} * 10'000'000 + i) + ",19" + std::to_string(50 + i % 50) +
               "-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10) + "," +
               std::to_string(number) + "\r\n";
  }
  if (placed_winners != winners) throw std::logic_error("could not place every winner");
  write_file(path, content);
  return AgencyData{path, rows, winners};
}

AgencyData count_agency_file(const std::string& path) {
  AgencyData data{path, 0, 0};
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    ++data.bets;
    if (line.size() >= 5 && line.compare(line.size() - 5, 5, ",7574") == 0) ++data.winners;
  }
  return data;
}

std::vector<std::string> bet_keys_of_agency_file(const std::string& path) {
  csv::CsvReader reader = csv::CsvReader::open(path);
  std::vector<std::string> keys;
  for (std::vector<std::string> fields; reader.next(fields);) {
    if (fields.size() != 5) throw std::runtime_error(path + ": a row without 5 fields");
    keys.push_back(fields[2] + "," + fields[4]);
  }
  return keys;
}

std::vector<std::string> bet_keys_in_bets_file(const std::string& bets_path, std::uint32_t agency) {
  std::vector<std::string> keys;
  storage::load_bets(bets_path, [&](const lottery::Bet& bet) {
    if (bet.agency == agency) keys.push_back(bet.document + "," + std::to_string(bet.number));
  });
  return keys;
}

std::string find_dataset() {
  std::vector<std::string> candidates;
  if (const char* chosen = std::getenv("TP0_DATASET")) candidates.emplace_back(chosen);
  candidates.push_back(std::string(TP0_SOURCE_DIR) + "/../shared/data/dataset.zip");
  candidates.push_back(std::string(TP0_SOURCE_DIR) + "/.data/dataset.zip");
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  return "";
}

std::map<std::uint32_t, std::size_t> bets_per_agency(const std::string& bets_path) {
  std::map<std::uint32_t, std::size_t> counts;
  storage::load_bets(bets_path, [&](const lottery::Bet& bet) { ++counts[bet.agency]; });
  return counts;
}

AgencyData start_agency(Cluster& cluster, std::uint32_t id, std::size_t bets, std::size_t winners,
                        Environment environment) {
  const std::string name = "agency-" + std::to_string(id) + ".csv";
  AgencyData data = write_agency_file(cluster.dir().file(name), id, bets, winners);
  environment.emplace("CLI_DATA_FILE", data.path);
  cluster.start_client(id, std::move(environment));
  return data;
}

void expect_served(Cluster& cluster, std::uint32_t id, std::size_t winners) {
  Process& client = cluster.client(id);
  ASSERT_EQ(client.wait_exit(kRunTimeout), 0) << "agency " << id << ":\n"
                                              << client.output() << cluster.server().output();
  EXPECT_EQ(client
                .lines_containing("action: consulta_ganadores | result: success | cant_ganadores: " +
                                  std::to_string(winners))
                .size(),
            1u)
      << client.output();
  EXPECT_TRUE(client.lines_containing("result: fail").empty()) << client.output();
}

void expect_round_complete(Cluster& cluster, const std::vector<AgencyData>& agencies) {
  for (std::uint32_t id = 1; id <= agencies.size(); ++id)
    expect_served(cluster, id, agencies[id - 1].winners);
  std::size_t round_bets = 0;
  for (std::uint32_t id = 1; id <= agencies.size(); ++id) {
    const auto stored = bet_keys_in_bets_file(cluster.bets_path(), id);
    const auto sent = bet_keys_of_agency_file(agencies[id - 1].path);
    EXPECT_TRUE(stored == sent) << "agency " << id << ": " << stored.size() << " bets stored of "
                                << sent.size();
    round_bets += sent.size();
  }
  std::size_t all_bets = 0;
  for (const auto& [agency, count] : bets_per_agency(cluster.bets_path())) all_bets += count;
  EXPECT_EQ(all_bets, round_bets) << "bets of agencies outside the round were stored";
}

}  // namespace tp0::testing
