#include "client/agency_file.h"

#include <utility>

#include "common/lottery/bet_parsing.h"

namespace tp0::client {
namespace {

constexpr std::size_t kFieldsPerRow = 5;

}  // namespace

AgencyFile::AgencyFile(const std::string& path, std::uint32_t agency, RejectHandler reject)
    : agency_(agency), reject_(std::move(reject)), reader_(csv::CsvReader::open(path)) {}

bool AgencyFile::next(lottery::Bet& bet) {
  while (reader_.next(fields_)) {
    if (fields_.size() != kFieldsPerRow) {
      reject_(reader_.line(), "expected 5 fields, found " + std::to_string(fields_.size()));
      continue;
    }
    const auto number = lottery::parse_number(fields_[4]);
    if (!number) {
      reject_(reader_.line(), "number \"" + fields_[4] + "\" is not an integer from 0 to 9999");
      continue;
    }
    bet.agency = agency_;
    bet.first_name.swap(fields_[0]);
    bet.last_name.swap(fields_[1]);
    bet.document.swap(fields_[2]);
    bet.birthdate.swap(fields_[3]);
    bet.number = *number;
    if (const auto problem = lottery::validate(bet)) {
      reject_(reader_.line(), *problem);
      continue;
    }
    return true;
  }
  return false;
}

}  // namespace tp0::client
