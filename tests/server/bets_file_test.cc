#include "server/storage/bets_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "common/sys/file_io.h"
#include "common/sys/file_lock.h"
#include "common/sys/unique_fd.h"
#include "tests/server/storage_support.h"
#include "tests/support/process.h"

namespace tp0::storage {
namespace {

lottery::Bet bet(std::uint32_t agency, std::string document, std::uint16_t number,
                 std::string first_name = "Ana") {
  return lottery::Bet{agency, std::move(first_name), "Pérez", std::move(document), "1990-01-31", number};
}

// What the journal commits, read as every user of a journal must: under the bets file's lock.
std::uint64_t committed_length(const std::string& path) {
  const sys::UniqueFd fd = sys::open_if_present(path, O_RDONLY, "bets file");
  if (!fd) return 0;
  const sys::FileLock lock(fd.get(), sys::FileLock::Mode::kShared, path);
  return Journal(path, Journal::Access::kRead).committed_length().value_or(0);
}

off_t size_of(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_size : -1;
}

// True when `writer` holds no staged rows: a store of whatever it has staged writes nothing.
bool nothing_staged(BetsFileWriter& writer, const std::string& path) {
  const std::string before = testing::read_file(path);
  return writer.store_staged({}).outcome == StoreOutcome::kStored && testing::read_file(path) == before;
}

enum class FlockWait { kBlocked, kExited, kTimedOut };

// Waits until /proc/locks shows `pid` blocked on an flock ("-> FLOCK ... <pid> ..."),
// or until `pid` exits (it is then left for the caller to reap).
FlockWait await_blocked_on_flock_or_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string owner = " " + std::to_string(pid) + " ";
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& line : testing::split_lines(testing::read_file("/proc/locks"))) {
      if (line.find("-> FLOCK") != std::string::npos && line.find(owner) != std::string::npos) {
        return FlockWait::kBlocked;
      }
    }
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      return FlockWait::kExited;
    }
    std::this_thread::yield();
  }
  return FlockWait::kTimedOut;
}

// Runs `body` in a child process whose files may grow to `limit_bytes` at most (a write
// past it fails with EFBIG rather than raising SIGXFSZ), and returns what the child
// returned: the exit code of `body`, 2 if the limit could not be set, 5 if `body` threw.
int exit_code_with_file_size_limit(std::size_t limit_bytes, const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == -1) return -1;
  if (pid == 0) {
    const rlimit limit{static_cast<rlim_t>(limit_bytes), static_cast<rlim_t>(limit_bytes)};
    if (::signal(SIGXFSZ, SIG_IGN) == SIG_ERR || ::setrlimit(RLIMIT_FSIZE, &limit) == -1) ::_exit(2);
    try {
      ::_exit(body());
    } catch (...) {
      ::_exit(5);
    }
  }
  return testing::exit_code_of(pid);
}

// `count` bets of `agency`, documents "0", "1", ..., all on number 5.
std::vector<lottery::Bet> bets_of_agency(std::uint32_t agency, int count) {
  std::vector<lottery::Bet> bets;
  bets.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) bets.push_back(bet(agency, std::to_string(i), 5));
  return bets;
}

// Returns the CsvError message loading `content` produces, or "" if it loads.
std::string load_error_for(const std::string& content) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  testing::write_file(path, content);
  try {
    load_all(path);
  } catch (const csv::CsvError& error) {
    return error.what();
  }
  return "";
}

TEST(StorageBetsFile, RoundTripKeepsEveryFieldEvenAwkwardOnes) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  std::vector<lottery::Bet> first{bet(1, "30904465", 7574, "Santiago Lionel"),
                                  bet(2, "00000007", 7, "O'Brien, \"Jr\"")};
  first[1].last_name = "two\r\nlines, \"quoted\"";
  const std::vector<lottery::Bet> second{bet(3, "123", 0, "Tiago Nicolás")};
  store_bets(path, first);
  store_bets(path, second);
  std::vector<lottery::Bet> expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(load_all(path), expected);
  EXPECT_EQ(testing::read_file(path),
            "1,Santiago Lionel,Pérez,30904465,1990-01-31,7574\n"
            "2,\"O'Brien, \"\"Jr\"\"\",\"two\r\nlines, \"\"quoted\"\"\",00000007,1990-01-31,7\n"
            "3,Tiago Nicolás,Pérez,123,1990-01-31,0\n");
}

TEST(StorageBetsFile, StoringNoBetsCreatesNothing) {
  testing::TempDir dir;
  store_bets(dir.file("bets.csv"), {});
  EXPECT_EQ(size_of(dir.file("bets.csv")), -1);
}

TEST(StorageBetsFile, MissingFileHoldsNoBets) {
  testing::TempDir dir;
  EXPECT_TRUE(load_all(dir.file("never-written.csv")).empty());
  lottery::Bet row;
  EXPECT_FALSE(BetsFileReader(dir.file("never-written.csv")).next_with_number(7, row));
}

// Rows as any RFC 4180 writer may have left them: quoted, CRLF, a number with a leading
// zero. next_with_number() finds the same bets as next() filtered by their number.
TEST(StorageBetsFile, NextWithNumberFindsWhatFilteringEveryRowFinds) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  testing::write_file(path,
                      "1,Ana,Paz,1,1990-01-31,7574\n"
                      "1,Ana,Paz,2,1990-01-31,7575\r\n"
                      "2,\"Paz, Ana\",\"two\nlines\",3,1990-01-31,7574\n"
                      "\n"
                      "2,Ana,Paz,4,1990-01-31,07574\r\n"
                      "3,\"Quoted\",Paz,5,1990-01-31,\"7574\"\n"
                      "3,Ana,Paz,6,1990-01-31,1\n"
                      "3,Ana,Paz,7,1990-01-31,7574");
  std::vector<std::string> filtered;
  {
    BetsFileReader reader(path);
    lottery::Bet row;
    while (reader.next(row)) {
      if (row.number == 7574) filtered.push_back(row.document);
    }
  }
  std::vector<std::string> found;
  BetsFileReader reader(path);
  lottery::Bet row;
  while (reader.next_with_number(7574, row)) found.push_back(row.document);
  EXPECT_EQ(found, (std::vector<std::string>{"1", "3", "4", "5", "7"}));
  EXPECT_EQ(found, filtered);
}

TEST(StorageBetsFile, RowsThatAreNotBetsAreReportedWithFileAndLine) {
  const std::string good = "1,Ana,Paz,1,1990-01-01,5\n";
  EXPECT_NE(load_error_for(good + "1,Ana,Pa").find("bets.csv:2: expected 6 fields, found 3"),
            std::string::npos);
  EXPECT_NE(load_error_for(good + good + "1,Ana,Paz,1,1990-01-01,5,extra\n").find("bets.csv:3: expected 6"),
            std::string::npos);
  EXPECT_NE(load_error_for(good + "x,Ana,Paz,1,1990-01-01,5\n").find("bets.csv:2: agency \"x\""),
            std::string::npos);
  EXPECT_NE(load_error_for(good + "-1,Ana,Paz,1,1990-01-01,5\n").find("bets.csv:2: agency"),
            std::string::npos);
  EXPECT_NE(load_error_for(good + "1,Ana,Paz,1,1990-01-01,10000\n").find("bets.csv:2: number \"10000\""),
            std::string::npos);
  EXPECT_NE(load_error_for(good + "1,\"Ana,Paz,1,1990-01-01,5\n").find("bets.csv:2: quoted field"),
            std::string::npos);
}

TEST(StorageBetsFile, UnwritablePathIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("missing-dir/bets.csv");
  try {
    store_bets(path, std::vector<lottery::Bet>{bet(1, "1", 1)});
    FAIL() << "stored into a missing directory";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

TEST(StorageBetsFile, TwoProcessesStoringAtOnceNeverTearOrInterleaveBatches) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  constexpr int kBatches = 2000;
  constexpr int kBetsPerBatch = 50;
  // Long rows make each batch several kilobytes, more than one write would need to be
  // atomic on its own, so only the lock can keep batches whole.
  const auto name_of = [](std::uint32_t writer) { return std::string(150, static_cast<char>('a' + writer)); };
  // Writer 1 opens the file for each batch (store_bets); writer 2 keeps one
  // BetsFileWriter open throughout, as a server connection does.
  const auto write_batches = [&](std::uint32_t writer) {
    std::optional<OwnWriter> held_open;
    if (writer == 2) held_open.emplace(path);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<lottery::Bet> batch;
      batch.reserve(kBetsPerBatch);
      for (int i = 0; i < kBetsPerBatch; ++i) {
        batch.push_back(bet(writer, std::to_string(b * kBetsPerBatch + i),
                            static_cast<std::uint16_t>(b % 10000), name_of(writer)));
      }
      if (held_open) {
        held_open->store(batch);
      } else {
        store_bets(path, batch);
      }
    }
  };
  std::vector<pid_t> children;
  for (std::uint32_t writer = 1; writer <= 2; ++writer) {
    const pid_t pid = ::fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
      try {
        write_batches(writer);
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) ASSERT_EQ(testing::exit_code_of(pid), 0);

  const std::vector<lottery::Bet> rows = load_all(path);
  ASSERT_EQ(rows.size(), 2u * kBatches * kBetsPerBatch);
  int next_index[3] = {0, 0, 0};
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const lottery::Bet& row = rows[r];
    ASSERT_TRUE(row.agency == 1 || row.agency == 2) << "row " << r;
    // Every field belongs to the writer named by the agency, and each writer's rows come
    // in the order it wrote them...
    const int index = next_index[row.agency]++;
    ASSERT_EQ(row.first_name, name_of(row.agency)) << "row " << r;
    ASSERT_EQ(row.last_name, "Pérez") << "row " << r;
    ASSERT_EQ(row.document, std::to_string(index)) << "row " << r;
    ASSERT_EQ(row.number, (index / kBetsPerBatch) % 10000) << "row " << r;
    // ...and the other writer's rows never fall inside a batch.
    if (index % kBetsPerBatch != 0) {
      ASSERT_EQ(rows[r - 1].agency, row.agency) << "batch split at row " << r;
    }
  }
}

TEST(StorageBetsFile, StoreWaitsWhileAReaderHoldsTheFile) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, std::vector<lottery::Bet>{bet(1, "1", 1)});
  const std::string before = testing::read_file(path);
  std::optional<BetsFileReader> reader(std::in_place, path);

  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    try {
      store_bets(path, std::vector<lottery::Bet>{bet(2, "2", 2)});
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  // Either the kernel lists the child as waiting for the file's lock, or the child
  // finishes: a store that ignored the reader's lock would do the latter.
  const auto outcome = await_blocked_on_flock_or_exit(pid, std::chrono::seconds(10));
  EXPECT_EQ(outcome, FlockWait::kBlocked) << "the store did not wait for the reader";
  EXPECT_EQ(testing::read_file(path), before);

  reader.reset();
  ASSERT_EQ(testing::exit_code_of(pid), 0);
  EXPECT_EQ(load_all(path).size(), 2u);
}

TEST(StorageBetsFile, FailedStoreLeavesTheFileAsItWas) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, std::vector<lottery::Bet>{bet(1, "1", 1)});
  const std::string before = testing::read_file(path);

  // A batch much larger than the room the limit leaves: the first write stops at the
  // limit, the next fails with EFBIG, and the rows already written must be cut off again.
  const int code = exit_code_with_file_size_limit(before.size() + 1000, [&] {
    try {
      store_bets(path, bets_of_agency(2, 500));
    } catch (const std::system_error& error) {
      return error.code() == std::errc::file_too_large ? 0 : 3;
    }
    return 1;
  });
  ASSERT_EQ(code, 0) << "the store should have failed with EFBIG";
  EXPECT_EQ(testing::read_file(path), before);
  EXPECT_EQ(load_all(path).size(), 1u);
  // The file stays usable: the next store lands right after the old rows.
  store_bets(path, std::vector<lottery::Bet>{bet(3, "3", 3)});
  EXPECT_EQ(load_all(path).size(), 2u);
}

TEST(StorageBetsFileWriter, StagedBatchesAreWrittenOnlyByTheStoreAndTogether) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  OwnWriter writer(path);
  writer.stage(std::vector<lottery::Bet>{bet(1, "1", 1), bet(1, "2", 2)});
  writer.stage(std::vector<lottery::Bet>{bet(1, "3", 3)});
  EXPECT_EQ(size_of(path), -1) << "staging opened or wrote the file";
  EXPECT_EQ(writer.store_staged({}).outcome, StoreOutcome::kStored);
  EXPECT_TRUE(nothing_staged(writer, path)) << "stored rows stay staged";
  EXPECT_EQ(load_all(path), (std::vector<lottery::Bet>{bet(1, "1", 1), bet(1, "2", 2), bet(1, "3", 3)}));
}

TEST(StorageBetsFileWriter, AFailedStoreDropsItsStagedRowsAndLeavesTheFileAsItWas) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, std::vector<lottery::Bet>{bet(1, "1", 1)});
  const std::string before = testing::read_file(path);

  // As in FailedStoreLeavesTheFileAsItWas: the file size limit makes the write fail part way.
  const int code = exit_code_with_file_size_limit(before.size() + 1000, [&] {
    OwnWriter writer(path);
    writer.stage(std::vector<lottery::Bet>{bet(2, "small", 2)});
    writer.stage(bets_of_agency(2, 500));
    try {
      writer.store_staged({});
      return 1;
    } catch (const std::system_error& error) {
      if (error.code() != std::errc::file_too_large) return 3;
    }
    if (!nothing_staged(writer, path)) return 4;
    // The next store writes its own rows only.
    writer.store(std::vector<lottery::Bet>{bet(3, "3", 3)});
    return 0;
  });
  ASSERT_EQ(code, 0);
  EXPECT_EQ(load_all(path), (std::vector<lottery::Bet>{bet(1, "1", 1), bet(3, "3", 3)}));
}

TEST(StorageBetsFileWriter, AClosedStreamTakesNoMoreRowsAndUnstagesThem) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  OwnWriter writer(path);
  ASSERT_EQ(writer.store(std::vector<lottery::Bet>{bet(1, "1", 1)}, {1, 0}).outcome, StoreOutcome::kStored);
  EXPECT_TRUE(writer.close_stream(1));
  EXPECT_FALSE(OwnWriter(path).close_stream(1)) << "closed twice";
  const std::string before = testing::read_file(path);
  writer.stage(std::vector<lottery::Bet>{bet(1, "2", 2), bet(1, "3", 3)});
  EXPECT_EQ(writer.store_staged({1, 1}).outcome, StoreOutcome::kClosed);
  EXPECT_TRUE(nothing_staged(writer, path));
  EXPECT_EQ(writer.store(std::vector<lottery::Bet>{bet(1, "4", 4)}, {1, std::nullopt}).outcome,
            StoreOutcome::kClosed)
      << "rows outside the numbering are refused too";
  EXPECT_EQ(testing::read_file(path), before);
  EXPECT_EQ(writer.stream_state(1).position, 1u);
  EXPECT_TRUE(writer.stream_state(1).closed);
  // Other streams go on.
  EXPECT_EQ(writer.store(std::vector<lottery::Bet>{bet(2, "5", 5)}, {2, 0}).outcome, StoreOutcome::kStored);
  EXPECT_EQ(load_all(path), (std::vector<lottery::Bet>{bet(1, "1", 1), bet(2, "5", 5)}));
}

// Rows are stored as the continuation of their stream, where it ends, or not at all: the
// same rows again, or rows past a gap, write nothing. Positions are the journal's, so a
// writer opened later, in any process, sees them.
TEST(StorageBetsFileWriter, RowsContinueTheirStreamOnlyWhereItEnds) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  OwnWriter writer(path);
  const auto first = bets_of_agency(1, 3);
  ASSERT_EQ(writer.store(first, {1, 0}).outcome, StoreOutcome::kStored);
  const std::string after_first = testing::read_file(path);
  const Stored again = writer.store(first, {1, 0});
  EXPECT_EQ(again.outcome, StoreOutcome::kHeld) << "the same rows twice";
  EXPECT_EQ(again.stream_end, 3u) << "a store tells where the stream ends";
  auto other = first;
  other[1].document = "another";
  EXPECT_EQ(writer.store(other, {1, 0}).outcome, StoreOutcome::kOutOfPlace)
      << "other rows where some are held";
  EXPECT_EQ(writer.store(std::span(first).first(2), {1, 0}).outcome, StoreOutcome::kOutOfPlace)
      << "part of a batch held";
  EXPECT_EQ(writer.store(first, {1, 4}).outcome, StoreOutcome::kOutOfPlace) << "a gap";
  EXPECT_EQ(writer.store(first, {1, 2}).outcome, StoreOutcome::kOutOfPlace) << "overlapping the stored rows";
  EXPECT_EQ(testing::read_file(path), after_first);
  EXPECT_TRUE(nothing_staged(writer, path));

  EXPECT_EQ(OwnWriter(path).stream_state(1).position, 3u);
  EXPECT_EQ(OwnWriter(path).stream_state(2).position, 0u) << "each stream is its own";
  ASSERT_EQ(OwnWriter(path).store(bets_of_agency(2, 2), {2, 0}).outcome, StoreOutcome::kStored);
  const Stored continued = writer.store(bets_of_agency(1, 2), {1, 3});
  ASSERT_EQ(continued.outcome, StoreOutcome::kStored) << "a writer sees what another stored meanwhile";
  EXPECT_EQ(continued.stream_end, 5u);
  EXPECT_EQ(writer.stream_state(1).position, 5u);
  EXPECT_EQ(writer.stream_state(2).position, 2u);
  EXPECT_EQ(writer.store(std::vector<lottery::Bet>{bet(1, "x", 1)}, {1, std::nullopt}).outcome,
            StoreOutcome::kStored)
      << "rows outside the numbering need no position";
  EXPECT_EQ(writer.stream_state(1).position, 5u) << "and do not move it";
  EXPECT_EQ(load_all(path).size(), 8u);
}

// The writers of several processes sharing one table read only what others appended since
// it last took an entry in: each sees the others' stores, and one with a table of its own
// (or a table that starts late) catches up from the journal itself.
TEST(StorageStreamTable, WritersOfSeveralProcessesSeeEachOthersStores) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  ASSERT_EQ(OwnWriter(path).store(bets_of_agency(1, 3), {1, 0}).outcome, StoreOutcome::kStored);
  StreamTable shared({1, 2});
  EXPECT_EQ(shared.entries(), 0u) << "nothing taken in before the first writer";
  const pid_t other = ::fork();
  if (other == 0) {
    BetsFileWriter writer(path, shared);
    const bool stored = store(writer, bets_of_agency(1, 2), {1, 3}).outcome == StoreOutcome::kStored &&
                        store(writer, bets_of_agency(2, 4), {2, 0}).outcome == StoreOutcome::kStored;
    ::_exit(stored ? 0 : 1);
  }
  ASSERT_EQ(testing::exit_code_of(other), 0);
  EXPECT_EQ(shared.entries(), 4u) << "the first entry, one store here, two there";
  EXPECT_EQ(shared.stream(1).position, 5u);
  EXPECT_EQ(shared.stream(2).position, 4u);
  BetsFileWriter writer(path, shared);
  EXPECT_EQ(store(writer, bets_of_agency(1, 1), {1, 3}).outcome, StoreOutcome::kOutOfPlace)
      << "stale position";
  EXPECT_EQ(store(writer, bets_of_agency(1, 1), {1, 5}).outcome, StoreOutcome::kStored);
  EXPECT_TRUE(writer.close_stream(2));
  EXPECT_TRUE(shared.stream(2).closed);
  EXPECT_EQ(shared.closed_count(), 1u);
  // A writer of its own reads the whole journal and agrees.
  EXPECT_EQ(OwnWriter(path).stream_state(1).position, 6u);
  EXPECT_TRUE(OwnWriter(path).stream_state(2).closed);
  EXPECT_EQ(load_all(path).size(), 10u);
}

// Batches stored together by one write are committed by one entry each, so that each can
// be recognised when it is sent again on its own.
TEST(StorageBetsFileWriter, BatchesStoredTogetherAreEachRecognisedWhenSentAgain) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  OwnWriter writer(path);
  const auto bets = bets_of_agency(1, 5);
  writer.stage(std::span(bets).first(2));
  writer.stage(std::span(bets).subspan(2));
  ASSERT_EQ(writer.store_staged({1, 0}).outcome, StoreOutcome::kStored);
  const std::string stored = testing::read_file(path);
  EXPECT_EQ(writer.store(std::span(bets).subspan(2), {1, 2}).outcome, StoreOutcome::kHeld);
  EXPECT_EQ(writer.store(std::span(bets).first(2), {1, 0}).outcome, StoreOutcome::kHeld);
  EXPECT_EQ(writer.store(std::span(bets).subspan(1, 2), {1, 1}).outcome, StoreOutcome::kOutOfPlace)
      << "across two";
  EXPECT_EQ(writer.store(bets, {1, 0}).outcome, StoreOutcome::kOutOfPlace) << "two batches sent as one";
  EXPECT_EQ(testing::read_file(path), stored);
  // A row outside the numbering, stored between two batches, takes no place among them.
  ASSERT_EQ(writer.store(bets_of_agency(1, 1), {1, std::nullopt}).outcome, StoreOutcome::kStored);
  const auto more = bets_of_agency(1, 2);
  ASSERT_EQ(writer.store(more, {1, 5}).outcome, StoreOutcome::kStored);
  EXPECT_EQ(writer.store(more, {1, 5}).outcome, StoreOutcome::kHeld) << "a batch stored after a single row";
  EXPECT_EQ(writer.store(std::span(bets).subspan(2), {1, 2}).outcome, StoreOutcome::kHeld);
}

TEST(StorageStreamTable, AnEntryOfAStreamWithoutARowIsAnErrorAndNotTakenIn) {
  StreamTable table({1, 5});
  table.apply({JournalEntry::Kind::kStored, 0, 0, 10, 0});
  table.apply({JournalEntry::Kind::kStored, 5, 2, 20, 0});
  EXPECT_THROW(table.apply({JournalEntry::Kind::kStored, 4, 1, 30, 0}), UnknownStream);
  EXPECT_EQ(table.entries(), 2u) << "the refused entry was not counted";
  EXPECT_EQ(table.committed_length(), 20u);
  EXPECT_EQ(table.stream(5).position, 2u);
  EXPECT_EQ(table.stream(4).position, 0u);
  EXPECT_EQ(table.index_of(5), 1u) << "rows are in the order of their ids";
}

// close_stream() and the stores of another process are one order: a store that finds the
// stream open is written before the close, and none after it.
TEST(StorageBetsFileWriter, ACloseAndTheStoresOfAnotherProcessAreOneOrder) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  const pid_t storer = ::fork();
  if (storer == 0) {
    OwnWriter writer(path);
    for (std::uint64_t i = 0; i < 1000000; ++i) {
      const auto outcome =
          writer.store(std::vector<lottery::Bet>{bet(1, std::to_string(i), 1)}, {1, i}).outcome;
      if (outcome != StoreOutcome::kStored) ::_exit(outcome == StoreOutcome::kClosed ? 0 : 1);
    }
    ::_exit(2);
  }
  // Wait for a few stores, then close the stream.
  while (committed_length(path) < 200) std::this_thread::yield();
  OwnWriter(path).close_stream(1);
  ASSERT_EQ(testing::exit_code_of(storer), 0) << "the storer was never refused";
  // The closing entry names the file's length when it was written, under the lock.
  std::optional<std::uint64_t> length_when_closed;
  Journal(path, Journal::Access::kRead).read_from(0, [&](const JournalEntry& entry) {
    if (entry.kind == JournalEntry::Kind::kClosed) length_when_closed = entry.committed_length;
  });
  ASSERT_TRUE(length_when_closed);
  EXPECT_EQ(committed_length(path), *length_when_closed) << "a store landed after the stream was closed";
}

}  // namespace
}  // namespace tp0::storage
