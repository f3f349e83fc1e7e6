#include "server/storage/winners.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <stdexcept>

#include "common/csv/reader.h"
#include "common/csv/writer.h"
#include "common/lottery/bet.h"
#include "common/sys/file_io.h"
#include "common/sys/file_lock.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"
#include "server/storage/bets_file.h"
#include "server/storage/decimal.h"

namespace tp0::storage {
namespace {

struct Winner {
  std::uint32_t agency = 0;
  std::string document;
};

struct Winners {
  std::uint64_t committed = 0;  // the bets file's committed length they were worked out from
  std::vector<Winner> rows;
};

std::string winners_path(const std::string& bets_path) { return bets_path + ".winners"; }
std::string lock_path(const std::string& bets_path) { return bets_path + ".winners.lock"; }
std::string scratch_path(const std::string& bets_path) { return bets_path + ".winners.tmp"; }

template <typename Unsigned>
Unsigned number_in(const std::string& field, const std::string& path) {
  const auto value = parse_decimal<Unsigned>(field);
  if (!value) throw std::runtime_error("winners file " + path + ": \"" + field + "\" is not a number");
  return *value;
}

// The winners file as written by write_winners(), or nullopt when there is none.
std::optional<Winners> read_winners(const std::string& bets_path) {
  const std::string path = winners_path(bets_path);
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw sys::last_error("open winners file " + path);
  }
  csv::CsvReader reader(std::move(fd), path);
  std::vector<std::string> fields;
  if (!reader.next(fields) || fields.size() != 1) throw std::runtime_error("winners file " + path + " has no header");
  Winners winners;
  winners.committed = number_in<std::uint64_t>(fields[0], path);
  while (reader.next(fields)) {
    if (fields.size() != 2) throw std::runtime_error("winners file " + path + ": a row without 2 fields");
    winners.rows.push_back({number_in<std::uint32_t>(fields[0], path), fields[1]});
  }
  return winners;
}

Winners work_out_winners(const std::string& bets_path) {
  Winners winners;
  BetsFileReader reader(bets_path);
  lottery::Bet bet;
  while (reader.next_winning(bet)) winners.rows.push_back({bet.agency, bet.document});
  winners.committed = reader.committed_bytes();
  return winners;
}

void write_winners(const std::string& bets_path, const Winners& winners) {
  std::string content;
  csv::append_record(content, {std::to_string(winners.committed)});
  for (const auto& row : winners.rows) csv::append_record(content, {std::to_string(row.agency), row.document});
  const std::string scratch = scratch_path(bets_path);
  sys::UniqueFd fd(sys::retry_on_eintr(
      [&] { return ::open(scratch.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("create winners file " + scratch);
  sys::write_all(fd.get(), content, "write winners file " + scratch);
  fd.close();
  const std::string path = winners_path(bets_path);
  if (::rename(scratch.c_str(), path.c_str()) == -1) throw sys::last_error("rename " + scratch + " to " + path);
}

bool current(const std::optional<Winners>& winners, const std::string& bets_path) {
  return winners && winners->committed == committed_length(bets_path);
}

}  // namespace

std::vector<std::string> winning_documents(const std::string& bets_path, std::uint32_t agency) {
  std::optional<Winners> winners = read_winners(bets_path);
  if (!current(winners, bets_path)) {
    // Whoever gets the lock first works them out; the others then find them written.
    const std::string lock_file = lock_path(bets_path);
    const sys::UniqueFd lock_fd(sys::retry_on_eintr(
        [&] { return ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); }));
    if (!lock_fd) throw sys::last_error("open winners lock " + lock_file);
    const sys::FileLock lock(lock_fd.get(), sys::FileLock::Mode::kExclusive, lock_file);
    winners = read_winners(bets_path);
    if (!current(winners, bets_path)) {
      winners = work_out_winners(bets_path);
      write_winners(bets_path, *winners);
    }
  }
  std::vector<std::string> documents;
  for (auto& row : winners->rows) {
    if (row.agency == agency) documents.push_back(std::move(row.document));
  }
  return documents;
}

void remove_winners(const std::string& bets_path) {
  for (const auto& path : {winners_path(bets_path), scratch_path(bets_path), lock_path(bets_path)}) {
    if (::unlink(path.c_str()) == -1 && errno != ENOENT) throw sys::last_error("remove " + path);
  }
}

}  // namespace tp0::storage
