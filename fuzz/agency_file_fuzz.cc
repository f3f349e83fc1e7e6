// Any bytes as an agency's bets file: every row the reader accepts is a valid bet of
// that agency, every other row is reported once with a line inside the file, and only
// malformed CSV (CsvError) stops it. Accepted plus rejected rows are exactly the records
// a plain CsvReader finds in the same bytes, so no row is lost or counted twice.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/agency_file.h"
#include "common/csv/reader.h"
#include "common/lottery/bet.h"
#include "fuzz/fuzz_input.h"

namespace {

std::size_t records_in(const std::uint8_t* data, std::size_t size) {
  tp0::csv::CsvReader reader(tp0::fuzz::descriptor_holding(data, size), "fuzz-input");
  std::size_t records = 0;
  try {
    for (std::vector<std::string> fields; reader.next(fields);) ++records;
  } catch (const tp0::csv::CsvError&) {
  }
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
  constexpr std::uint32_t kAgency = 7;
  const auto lines = static_cast<std::size_t>(std::count(data, data + size, '\n')) + 1;
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  // Opened by its path, as the client opens an agency's file.
  const sys::UniqueFd input = fuzz::descriptor_holding(data, size);
  try {
    client::AgencyFile file("/proc/self/fd/" + std::to_string(input.get()), kAgency,
                            [&](std::size_t line, const std::string& problem) {
                              ++rejected;
                              if (line < 1 || line > lines) {
                                fuzz::property_failed("row rejected (" + problem + ") on line " +
                                                      std::to_string(line) + " of a file of " +
                                                      std::to_string(lines) + " lines");
                              }
                            });
    lottery::Bet bet;
    while (file.next(bet)) {
      ++accepted;
      if (bet.agency != kAgency) fuzz::property_failed("a bet of agency " + std::to_string(bet.agency));
      if (const auto problem = lottery::validate(bet)) {
        fuzz::property_failed("an accepted bet is invalid: " + *problem);
      }
    }
  } catch (const csv::CsvError&) {
  }
  if (const std::size_t records = records_in(data, size); accepted + rejected != records) {
    fuzz::property_failed(std::to_string(accepted) + " rows accepted and " + std::to_string(rejected) +
                          " rejected, but the file holds " + std::to_string(records) + " records");
  }
  return 0;
}
