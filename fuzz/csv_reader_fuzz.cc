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

using Records = std::vector<std::vector<std::string>>;

Records read_all(tp0::sys::UniqueFd fd, const char* name) {
  tp0::csv::CsvReader reader(std::move(fd), name);
  Records records;
  for (std::vector<std::string> fields; reader.next(fields);) records.push_back(fields);
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
  // Longer inputs cannot be sent in pieces; -max_len keeps the fuzzer well below this.
  if (size > fuzz::kMaxPiecewiseBytes) return 0;
  Records records;
  try {
    records = read_all(fuzz::descriptor_in_pieces(data, size), "fuzz-input");
  } catch (const csv::CsvError&) {
    return 0;
  }
  std::string written;
  for (const auto& fields : records) csv::append_record(written, fields);
  Records again;
  try {
    again = read_all(
        fuzz::descriptor_holding(reinterpret_cast<const std::uint8_t*>(written.data()), written.size()),
        "rewritten-input");
  } catch (const csv::CsvError& error) {
    fuzz::property_failed(std::string("the writer's own output is refused: ") + error.what());
  }
  if (again != records) {
    fuzz::property_failed("records change when written and read again: " + std::to_string(records.size()) +
                          " records read, " + std::to_string(again.size()) + " after rewriting");
  }
  return 0;
}
