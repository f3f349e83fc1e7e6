#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/storage/bets_file.h"
#include "server/storage/journal.h"
#include "server/storage/round_files.h"
#include "tests/server/storage_support.h"
#include "tests/support/process.h"
#include "tests/support/seed.h"

namespace tp0::storage {
namespace {

constexpr int kBetsPerBatch = 200;
// Long names make each batch tens of kilobytes: many pages, so a kill can land between
// two pages of one write(2), which the kernel then leaves half done.
const std::string kLongName(150, 'n');

lottery::Bet numbered_bet(int index) {
  return lottery::Bet{
      1, kLongName, "Pérez", std::to_string(index), "1990-01-31", static_cast<std::uint16_t>(index % 10000)};
}

std::vector<lottery::Bet> batch_number(int batch) {
  std::vector<lottery::Bet> bets;
  bets.reserve(kBetsPerBatch);
  for (int i = 0; i < kBetsPerBatch; ++i) bets.push_back(numbered_bet(batch * kBetsPerBatch + i));
  return bets;
}

std::uint64_t size_of(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
}

// Asserts that `bets` are batches 0, 1, 2, ... of batch_number(), each whole.
void expect_whole_batches_in_order(const std::vector<lottery::Bet>& bets, const std::string& what) {
  ASSERT_EQ(bets.size() % kBetsPerBatch, 0u) << what << ": part of a batch is visible";
  for (std::size_t i = 0; i < bets.size(); ++i) {
    ASSERT_EQ(bets[i], numbered_bet(static_cast<int>(i))) << what << ": row " << i;
  }
}

TEST(StorageCrashConsistency, WriterKilledAtRandomMomentsLeavesOnlyWholeBatches) {
  constexpr int kRuns = 30;
  std::mt19937 random(static_cast<std::mt19937::result_type>(testing::test_seed()));
  int runs_with_uncommitted_rows = 0;
  for (int run = 0; run < kRuns; ++run) {
    testing::TempDir dir;
    const std::string path = dir.file("bets.csv");
    const pid_t writer = ::fork();
    ASSERT_NE(writer, -1);
    if (writer == 0) {
      try {
        for (int batch = 0;; ++batch) store_bets(path, batch_number(batch));
      } catch (...) {
        ::_exit(1);
      }
    }
    // The moment: once the file has grown past a random size, somewhere in the first
    // few dozen batches; then as soon as possible.
    const std::uint64_t threshold = std::uniform_int_distribution<std::uint64_t>(1, 1'000'000)(random);
    while (size_of(path) < threshold) std::this_thread::yield();
    ASSERT_EQ(::kill(writer, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(writer, &status, 0), writer);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own: " << status;

    const std::vector<lottery::Bet> visible = load_all(path);
    expect_whole_batches_in_order(visible, "reader after the kill");
    const std::uint64_t size = size_of(path);

    const auto previous = archive_previous_round(path, Durability::kProcess);
    ASSERT_TRUE(previous.has_value());
    if (previous->bytes_dropped > 0) ++runs_with_uncommitted_rows;
    EXPECT_EQ(size_of(previous->archived_as), size - previous->bytes_dropped);
    const std::string archived = testing::read_file(previous->archived_as);
    ASSERT_TRUE(archived.empty() || archived.back() == '\n') << "the last row is torn";
    EXPECT_EQ(load_all(previous->archived_as), visible) << "the archive differs from what readers saw";
  }
  RecordProperty("runs", kRuns);
  RecordProperty("runs_with_uncommitted_rows", runs_with_uncommitted_rows);
  std::printf("%d kills, %d of them in the middle of a write\n", kRuns, runs_with_uncommitted_rows);
}

TEST(StorageCrashConsistency, RowsPastTheCommittedLengthAreIgnoredThenCutByTheNextWriter) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, batch_number(0));
  const std::string committed = testing::read_file(path);
  // What a writer killed mid-write leaves: whole rows, then half of one.
  testing::write_file(path, committed + "1,Ana,Pérez,99,1990-01-31,75\n1,Ana,Pé");

  expect_whole_batches_in_order(load_all(path), "reader");
  store_bets(path, batch_number(1));
  expect_whole_batches_in_order(load_all(path), "after the next store");
  EXPECT_EQ(load_all(path).size(), 2u * kBetsPerBatch);
}

// The server keeps one writer open per connection, so the dead writer's rows appear
// while the survivor's descriptor is already open.
TEST(StorageCrashConsistency, AWriterHeldOpenCutsRowsAnotherWriterLeftUncommitted) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  OwnWriter survivor(path);
  survivor.store(batch_number(0));
  const std::string committed = testing::read_file(path);
  testing::write_file(path, committed + "1,Ana,Pérez,99,1990-01-31,75\n1,Ana,Pé");

  survivor.store(batch_number(1));
  survivor.store(batch_number(2));
  expect_whole_batches_in_order(load_all(path), "after the survivor's stores");
  EXPECT_EQ(load_all(path).size(), 3u * kBetsPerBatch);
}

TEST(StorageCrashConsistency, AFileCutShorterThanItsRecordIsRefusedNotExtended) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, batch_number(0));
  const std::string rows = testing::read_file(path);
  testing::write_file(path, rows.substr(0, rows.size() / 2));
  try {
    store_bets(path, batch_number(1));
    FAIL() << "stored after a file that lost committed rows";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("cut by something else"), std::string::npos) << error.what();
  }
}

// A journal whose entries are damaged where later ones are whole was not left by a crash.
TEST(StorageCrashConsistency, ADamagedJournalIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, batch_number(0));
  store_bets(path, batch_number(1));
  std::string journal = testing::read_file(Journal::path_for(path));
  ASSERT_EQ(journal.size(), 3 * Journal::kEntryBytes) << "the first entry, then one per store";
  journal[Journal::kEntryBytes + 9] ^= 1;
  testing::write_file(Journal::path_for(path), journal);
  for (const auto& use :
       std::vector<std::function<void()>>{[&] { load_all(path); }, [&] { store_bets(path, batch_number(2)); },
                                          [&] {
                                            StreamTable streams({1});
                                            recover(path, streams);
                                          }}) {
    try {
      use();
      ADD_FAILURE() << "went past a damaged entry";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find(Journal::path_for(path)), std::string::npos) << error.what();
    }
  }
}

// What a crash can leave at the journal's end, an entry torn or never written, is read as
// a step that did not happen, and the next store writes over it.
TEST(StorageCrashConsistency, ATornLastEntryIsIgnoredThenReplaced) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  store_bets(path, batch_number(0));
  const std::string journal = testing::read_file(Journal::path_for(path));
  for (const std::string& torn : {std::string(Journal::kEntryBytes, '\0'), std::string(20, '\x7f'),
                                  journal.substr(journal.size() - Journal::kEntryBytes, 31)}) {
    testing::write_file(Journal::path_for(path), journal + torn);
    testing::write_file(path, testing::read_file(path) + "1,Ana,Pérez,99,1990-01-31,75\n");
    expect_whole_batches_in_order(load_all(path), "reader");
  }
  store_bets(path, batch_number(1));
  expect_whole_batches_in_order(load_all(path), "after the next store");
  EXPECT_EQ(load_all(path).size(), 2u * kBetsPerBatch);
  EXPECT_EQ(testing::read_file(Journal::path_for(path)).size(), 3 * Journal::kEntryBytes);
}

// A crash of the machine can leave an entry on disk whose rows never got there. recover()
// drops that step and every later one, and cuts the rows nothing commits any more.
TEST(StorageRecovery, StepsWhoseRowsTheFileDoesNotHoldAreDropped) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  OwnWriter writer(path);
  ASSERT_EQ(writer.store(batch_number(0), {1, 0}).outcome, StoreOutcome::kStored);
  ASSERT_EQ(writer.store(batch_number(1), {2, 0}).outcome, StoreOutcome::kStored);
  writer.close_stream(2);
  const std::string two_batches = testing::read_file(path);
  ASSERT_EQ(writer.store(batch_number(2), {1, kBetsPerBatch}).outcome, StoreOutcome::kStored);
  ASSERT_TRUE(writer.close_stream(1));

  // Intact: nothing to do.
  StreamTable intact_streams({1, 2});
  Recovery intact = recover(path, intact_streams);
  EXPECT_EQ(intact.entries_dropped, 0u);
  EXPECT_EQ(intact.bytes_dropped, 0u);
  EXPECT_EQ(intact_streams.stream(1).position, 2u * kBetsPerBatch);
  EXPECT_TRUE(intact_streams.stream(1).closed);
  EXPECT_TRUE(intact_streams.stream(2).closed);

  // The third batch's rows reached the disk as zeros, and half of them only.
  const std::string third = testing::read_file(path).substr(two_batches.size());
  testing::write_file(path, two_batches + std::string(third.size() / 2, '\0'));
  StreamTable streams({1, 2});
  const Recovery recovered = recover(path, streams);
  EXPECT_EQ(recovered.entries_dropped, 2u) << "the third batch's step and the close after it";
  EXPECT_EQ(recovered.bytes_dropped, third.size() / 2);
  EXPECT_EQ(streams.stream(1).position, static_cast<std::uint64_t>(kBetsPerBatch));
  EXPECT_FALSE(streams.stream(1).closed);
  EXPECT_TRUE(streams.stream(2).closed);
  EXPECT_EQ(streams.closed_count(), 1u);
  EXPECT_EQ(testing::read_file(path), two_batches);
  EXPECT_EQ(load_all(path).size(), 2u * kBetsPerBatch);
  // The round goes on from there.
  EXPECT_EQ(OwnWriter(path).store(batch_number(2), {1, kBetsPerBatch}).outcome, StoreOutcome::kStored);
}

TEST(StorageRecovery, NoFilesIsAnEmptyRoundAndAJournalWithoutItsFileIsAnError) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  StreamTable streams({1});
  const Recovery empty = recover(path, streams);
  EXPECT_EQ(streams.entries(), 1u) << "the journal's first entry, over no rows";
  EXPECT_EQ(streams.committed_length(), 0u);
  EXPECT_EQ(empty.entries_dropped, 0u);
  EXPECT_EQ(testing::read_file(path), "") << "a round without bets";

  store_bets(path, batch_number(0));
  ASSERT_EQ(::unlink(path.c_str()), 0);
  try {
    recover(path, streams);
    FAIL() << "a journal without its bets file was taken for an empty round";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("missing"), std::string::npos) << error.what();
  }
}

TEST(StorageNewRound, PreviousBetsFileIsSetAsideUnderTheFirstFreeNumber) {
  testing::TempDir dir;
  const std::string path = dir.file("bets.csv");
  EXPECT_FALSE(archive_previous_round(path, Durability::kProcess).has_value()) << "nothing to set aside";

  store_bets(path, batch_number(0));
  const std::string first_round = testing::read_file(path);
  const auto first = archive_previous_round(path, Durability::kProcess);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->archived_as, path + ".1");
  EXPECT_EQ(first->bytes_dropped, 0u);
  EXPECT_EQ(testing::read_file(path + ".1"), first_round);
  EXPECT_TRUE(load_all(path).empty()) << "the new round starts empty";
  EXPECT_NE(::access(Journal::path_for(path).c_str(), F_OK), 0) << "the old journal went too";
  EXPECT_EQ(::access(Journal::path_for(path + ".1").c_str(), F_OK), 0) << "beside its archive";

  store_bets(path, batch_number(1));
  const auto second = archive_previous_round(path, Durability::kProcess);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->archived_as, path + ".2") << "an older archive is never overwritten";
  EXPECT_EQ(testing::read_file(path + ".1"), first_round);
}

}  // namespace
}  // namespace tp0::storage
