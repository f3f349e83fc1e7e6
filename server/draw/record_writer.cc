#include "server/draw/record_writer.h"

#include <fcntl.h>

#include <map>

#include "common/csv/writer.h"
#include "common/lottery/bet.h"
#include "common/sys/file_io.h"
#include "common/sys/unique_fd.h"
#include "server/storage/bets_file.h"

namespace tp0::draw {
namespace {

// How many bytes of rows wait in memory before they are appended to their files.
constexpr std::size_t kPendingBytes = std::size_t{1} << 20;

}  // namespace

std::string agency_file(const std::string& directory, std::uint32_t agency) {
  return directory + "/" + std::to_string(agency);
}

void write_record(const std::string& bets_path, const std::string& directory) {
  sys::make_directory(directory, 0700);
  // Per agency, the rows not yet appended to its file. Emptied whole at each flush, so
  // that no agency's buffer keeps the capacity it once needed.
  std::map<std::uint32_t, std::string> pending;
  std::size_t pending_bytes = 0;
  const auto flush = [&] {
    for (const auto& [agency, rows] : pending) {
      const std::string path = agency_file(directory, agency);
      const sys::UniqueFd fd = sys::open_file(path, O_WRONLY | O_APPEND | O_CREAT, "draw record", 0600);
      sys::write_all(fd.get(), rows, "write draw record " + path);
    }
    pending.clear();
    pending_bytes = 0;
  };
  storage::BetsFileReader reader(bets_path);
  lottery::Bet bet;
  std::string row;
  // Only rows on the winning number are read whole; has_won stays the rule that decides.
  while (reader.next_with_number(lottery::kWinningNumber, bet)) {
    if (!lottery::has_won(bet)) continue;
    row.clear();
    csv::append_record(row, {std::to_string(bet.agency), bet.document});
    pending[bet.agency] += row;
    pending_bytes += row.size();
    if (pending_bytes >= kPendingBytes) flush();
  }
  flush();
  // One sync for every file of the record and their names, before the record is renamed
  // into place: once visible, it is whole, whatever crash comes later, and needs no
  // checksum to tell.
  const sys::UniqueFd record = sys::open_file(directory, O_RDONLY | O_DIRECTORY, "draw record");
  sys::sync_file_system(record.get(), "sync draw record " + directory);
}

}  // namespace tp0::draw
