#include "server/storage/bets_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <utility>

#include "common/csv/writer.h"
#include "common/lottery/bet_parsing.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"

namespace tp0::storage {
namespace {

constexpr std::size_t kFieldsPerRow = 6;

std::string serialize(std::span<const lottery::Bet> bets) {
  std::string rows;
  for (const auto& bet : bets) {
    csv::append_record(rows, {std::to_string(bet.agency), bet.first_name, bet.last_name,
                              bet.document, bet.birthdate, std::to_string(bet.number)});
  }
  return rows;
}

// Writes all of `data`, resuming after interruptions and short writes.
void write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t written =
        sys::retry_on_eintr([&] { return ::write(fd, data.data(), data.size()); });
    if (written == -1) throw sys::last_error("append bets to " + path);
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::optional<std::uint32_t> parse_agency(const std::string& text) {
  std::uint32_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace

void store_bets(const std::string& path, std::span<const lottery::Bet> bets) {
  if (bets.empty()) return;
  const std::string rows = serialize(bets);

  sys::UniqueFd fd(sys::retry_on_eintr(
      [&] { return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644); }));
  if (!fd) throw sys::last_error("open bets file " + path);
  const sys::FileLock lock(fd.get(), sys::FileLock::Mode::kExclusive, path);
  struct stat before {};
  if (::fstat(fd.get(), &before) == -1) throw sys::last_error("stat bets file " + path);
  try {
    write_all(fd.get(), rows, path);
  } catch (const std::system_error&) {
    // Still under the lock, so nobody has appended after our partial rows.
    if (sys::retry_on_eintr([&] { return ::ftruncate(fd.get(), before.st_size); }) == -1) {
      throw sys::last_error("undo partial append to " + path);
    }
    throw;
  }
}

BetsFileReader::BetsFileReader(const std::string& path) : path_(path) {
  sys::UniqueFd fd(sys::retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) {
    if (errno == ENOENT) return;
    throw sys::last_error("open bets file " + path);
  }
  lock_.emplace(fd.get(), sys::FileLock::Mode::kShared, path);
  reader_.emplace(std::move(fd), path);
}

bool BetsFileReader::next(lottery::Bet& bet) {
  if (!reader_ || !reader_->next(fields_)) return false;
  const auto fail = [&](const std::string& problem) {
    throw csv::CsvError(path_ + ":" + std::to_string(reader_->line()) + ": " + problem);
  };
  if (fields_.size() != kFieldsPerRow) {
    fail("expected " + std::to_string(kFieldsPerRow) + " fields, found " +
         std::to_string(fields_.size()));
  }
  const auto agency = parse_agency(fields_[0]);
  if (!agency) fail("agency \"" + fields_[0] + "\" is not a number");
  const auto number = lottery::parse_number(fields_[5]);
  if (!number) {
    fail("number \"" + fields_[5] + "\" is not a number from 0 to " +
         std::to_string(lottery::kMaxNumber));
  }
  bet.agency = *agency;
  // Swapping hands the strings over without copying; fields_ is refilled on the next call.
  bet.first_name.swap(fields_[1]);
  bet.last_name.swap(fields_[2]);
  bet.document.swap(fields_[3]);
  bet.birthdate.swap(fields_[4]);
  bet.number = *number;
  return true;
}

void load_bets(const std::string& path, const std::function<void(const lottery::Bet&)>& visit) {
  BetsFileReader reader(path);
  lottery::Bet bet;
  while (reader.next(bet)) visit(bet);
}

std::vector<std::string> winning_documents(const std::string& path, std::uint32_t agency) {
  std::vector<std::string> documents;
  load_bets(path, [&](const lottery::Bet& bet) {
    if (bet.agency == agency && lottery::has_won(bet)) documents.push_back(bet.document);
  });
  return documents;
}

}  // namespace tp0::storage
