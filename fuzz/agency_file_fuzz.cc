// Any bytes as an agency's bets file: every bet the reader accepts is a valid bet of
// that agency, every other row is reported with a line inside the file, and only
// malformed CSV (CsvError) stops it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/agency_file.h"
#include "common/lottery/bet.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
  constexpr std::uint32_t kAgency = 7;
  const auto lines = static_cast<std::size_t>(std::count(data, data + size, '\n')) + 1;
  try {
    client::AgencyFile file(fuzz::descriptor_holding(data, size), "fuzz-input", kAgency,
                            [&](std::size_t line, const std::string&) {
                              if (line < 1 || line > lines) fuzz::property_failed("a reject names a line outside the file");
                            });
    lottery::Bet bet;
    while (file.next(bet)) {
      if (bet.agency != kAgency) fuzz::property_failed("a bet of another agency");
      if (const auto problem = lottery::validate(bet)) {
        fuzz::property_failed("an accepted bet is invalid: " + *problem);
      }
    }
  } catch (const csv::CsvError&) {
  }
  return 0;
}
