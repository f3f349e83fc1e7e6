// Any bytes as a CSV file: the reader either refuses them with CsvError or returns
// records that, written back by the project's writer and read again, come out the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/csv/reader.h"
#include "common/csv/writer.h"
#include "fuzz/fuzz_input.h"

namespace {

std::vector<std::vector<std::string>> read_all(tp0::sys::UniqueFd fd) {
  tp0::csv::CsvReader reader(std::move(fd), "fuzz-input");
  std::vector<std::vector<std::string>> records;
  for (std::vector<std::string> fields; reader.next(fields);) records.push_back(fields);
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
  std::vector<std::vector<std::string>> records;
  try {
    records = read_all(fuzz::descriptor_holding(data, size));
  } catch (const csv::CsvError&) {
    return 0;
  }
  std::string written;
  for (const auto& fields : records) csv::append_record(written, fields);
  std::vector<std::vector<std::string>> again;
  try {
    again = read_all(fuzz::descriptor_holding(reinterpret_cast<const std::uint8_t*>(written.data()),
                                              written.size()));
  } catch (const csv::CsvError& error) {
    fuzz::property_failed(std::string("the writer's own output is refused: ") + error.what());
  }
  if (again != records) fuzz::property_failed("records change when written and read again");
  return 0;
}
