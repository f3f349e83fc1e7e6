#include "bench/agency_files.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "common/csv/reader.h"
#include "common/lottery/bet.h"
#include "tests/support/process.h"

namespace tp0::bench {
namespace {

using lottery::kWinningNumber;

constexpr std::array<const char*, 6> kFirstNames = {"Santiago Lionel", "Ana María", "Joaquín",
                                                    "Valentina",       "Luz",       "Bautista Ezequiel"};
constexpr std::array<const char*, 5> kLastNames = {"Lorca", "Núñez", "Fernández de la Peña", "Paz", "Gómez"};

// Counts the rows and the winners of an agency file, the way the client reads it.
void tally(const std::string& path, AgencyFiles& files) {
  csv::CsvReader reader = csv::CsvReader::open(path);
  std::size_t winners = 0;
  for (std::vector<std::string> fields; reader.next(fields);) {
    ++files.bets;
    if (fields.size() == 5 && fields[4] == std::to_string(kWinningNumber)) ++winners;
  }
  files.winners.push_back(winners);
}

}  // namespace

AgencyFiles generate_agency_files(const std::string& directory, std::uint32_t agencies, std::size_t bets) {
  AgencyFiles files;
  files.label = std::to_string(bets) + " generated";
  // A linear congruential generator: the same bytes on every machine and library.
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  const auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state >> 33);
  };
  for (std::uint32_t agency = 1; agency <= agencies; ++agency) {
    const std::string path = directory + "/agency-" + std::to_string(agency) + ".csv";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const std::size_t rows = bets / agencies + (agency <= bets % agencies ? 1 : 0);
    std::size_t winners = 0;
    char birthdate[16];
    for (std::size_t row = 0; row < rows; ++row) {
      const std::uint32_t number = next() % 10000;
      if (number == kWinningNumber) ++winners;
      std::snprintf(birthdate, sizeof birthdate, "%04u-%02u-%02u", 1940 + next() % 65, 1 + next() % 12,
                    1 + next() % 28);
      out << kFirstNames[next() % kFirstNames.size()] << ',' << kLastNames[next() % kLastNames.size()] << ','
          << 10'000'000 + next() % 40'000'000 << ',' << birthdate << ',' << number << "\r\n";
    }
    out.close();
    if (!out) throw std::runtime_error("cannot write agency file " + path);
    files.paths.push_back(path);
    files.winners.push_back(winners);
    files.bets += rows;
  }
  return files;
}

AgencyFiles course_agency_files(const std::string& zip, const std::string& directory) {
  testing::unzip_into(zip, directory);
  AgencyFiles files;
  files.label = "course data set";
  for (int agency = 1; agency <= 5; ++agency) {
    const std::string path = directory + "/agency-" + std::to_string(agency) + ".csv";
    if (!std::ifstream(path))
      throw std::runtime_error(zip + " holds no agency-" + std::to_string(agency) + ".csv");
    files.paths.push_back(path);
    tally(path, files);
  }
  return files;
}

}  // namespace tp0::bench
