// A round whose draw record is much larger than what one answer may hold: each winners
// answer reads and sends its own agency's file in pieces, so no answering process grows
// with the round, and every agency still gets exactly its winners.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/lottery/bet.h"
#include "common/protocol/messages.h"
#include "server/storage/bets_file.h"
#include "server/storage/stream_table.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kAgenciesWithBets = 6;
// One more agency, with no bets, whose Finished holds the draw: its answer is the
// measure of an answer of nothing.
constexpr std::uint32_t kLastAgency = kAgenciesWithBets + 1;
constexpr std::uint32_t kAgencies = kLastAgency;
// 577,500 winners of 35-byte rows: a 20 MB record.
constexpr std::uint32_t kBetsPerAgency = 110'000;
constexpr std::size_t kBatch = 10'000;
// What answering an agency, or writing the record, may add to a process over an answer
// of nothing (2 to 3 MiB under the sanitizers; reading the whole record into memory, as
// answers once did, adds over 80).
constexpr long kAnswerBudgetKib = 6L * 1024;

// The longest document a bet may have, so that the record is as large as the bets allow.
std::string document_of(std::uint32_t agency, std::uint32_t position) {
  char text[lottery::kMaxDocumentDigits + 1];
  std::snprintf(text, sizeof text, "%02u%030u", agency, position);
  return text;
}

// Every 8th bet loses.
bool wins(std::uint32_t position) { return position % 8 != 7; }

// Stores the bets of the agencies that have some and closes their streams, as a round
// whose agencies all finished but the last leaves them.
void store_round_but_the_last_finished(const std::string& bets_path) {
  std::vector<std::uint32_t> ids;
  for (std::uint32_t id = 1; id <= kAgencies; ++id) ids.push_back(id);
  storage::StreamTable streams(ids);
  storage::BetsFileWriter writer(bets_path, streams);
  for (std::uint32_t agency = 1; agency <= kAgenciesWithBets; ++agency) {
    std::vector<lottery::Bet> batch;
    for (std::uint32_t position = 0; position < kBetsPerAgency; position += kBatch) {
      batch.clear();
      for (std::uint32_t i = position; i < std::min<std::uint32_t>(kBetsPerAgency, position + kBatch); ++i) {
        batch.push_back({agency, "A", "B", document_of(agency, i), "1990-01-01",
                         wins(i) ? lottery::kWinningNumber : std::uint16_t{1}});
      }
      ASSERT_EQ(writer.store(batch, {agency, position}).outcome, storage::StoreOutcome::kStored);
    }
    ASSERT_TRUE(writer.close_stream(agency));
  }
}

// The documents of the Winners messages the server answers `agency`'s query with.
std::vector<std::string> ask_winners(Cluster& cluster, std::uint32_t agency) {
  RawPeer peer(cluster, agency);
  peer.send(protocol::Hello{agency});
  const auto resume = peer.receive();
  EXPECT_TRUE(resume && std::holds_alternative<protocol::Resume>(*resume));
  peer.send(protocol::WinnersQuery{agency});
  std::vector<std::string> documents;
  while (true) {
    const auto answer = peer.receive();
    if (!answer || !std::holds_alternative<protocol::Winners>(*answer)) {
      ADD_FAILURE() << "agency " << agency << ": the answer ended without its last Winners message";
      return documents;
    }
    const auto& part = std::get<protocol::Winners>(*answer);
    documents.insert(documents.end(), part.documents.begin(), part.documents.end());
    if (part.last) return documents;
  }
}

TEST(LargeWinners, NoAnsweringProcessGrowsWithTheRoundAndEveryAgencyGetsItsWinners) {
  Cluster cluster;
  store_round_but_the_last_finished(cluster.bets_path());
  if (HasFatalFailure()) return;
  // AddressSanitizer keeps freed memory resident in its quarantine (256 MB by default), so
  // under it a process that allocates and frees a string per row seems to grow with the
  // rows; without the quarantine the peaks are the program's own.
  Process& server = cluster.start_server({{"SERVER_AGENCIES", std::to_string(kAgencies)},
                                          {"LOGGING_LEVEL", "DEBUG"},
                                          {"ASAN_OPTIONS", "quarantine_size_mb=0"}});
  {
    // The last agency's Finished holds the draw, in the child that serves it: the record
    // is written there, and that child's peak is among those measured below.
    RawPeer last(cluster, kLastAgency);
    last.send(protocol::Hello{kLastAgency});
    ASSERT_EQ(last.receive(), protocol::Message(protocol::Resume{0}));
    const auto finished = std::chrono::steady_clock::now();
    last.send(protocol::Finished{});
    ASSERT_TRUE(server.wait_for_line("action: sorteo | result: success", kRunTimeout)) << server.output();
    const auto drawn = std::chrono::steady_clock::now();
    ASSERT_EQ(last.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
    std::fprintf(stderr, "the draw's record written in %lld ms\n",
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(drawn - finished).count()));
  }
  std::size_t record_bytes = 0;
  for (const auto& file : std::filesystem::directory_iterator(cluster.bets_path() + ".draw")) {
    record_bytes += file.file_size();
  }
  std::fprintf(stderr, "record of %zu bytes\n", record_bytes);
  EXPECT_GT(record_bytes, std::size_t{16} << 20) << "the round is not large enough to tell";

  for (std::uint32_t agency = 1; agency <= kAgencies; ++agency) {
    std::vector<std::string> expected;
    for (std::uint32_t i = 0; agency <= kAgenciesWithBets && i < kBetsPerAgency; ++i) {
      if (wins(i)) expected.push_back(document_of(agency, i));
    }
    const auto documents = ask_winners(cluster, agency);
    EXPECT_EQ(documents.size(), expected.size()) << "agency " << agency;
    EXPECT_TRUE(documents == expected) << "agency " << agency << ": not its winners in file order";
  }

  // Every connection child has been reaped, and its peak logged, once the server has ended.
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
  const auto room = server.lines_containing("action: open_waiting_room | result: success");
  ASSERT_EQ(room.size(), 1u);
  std::map<std::string, long> peak_kib;  // of each connection child
  for (const auto& line : server.lines_containing("action: child_exit")) {
    if (field_of(line, "pid") == field_of(room[0], "pid")) continue;
    peak_kib[field_of(line, "pid")] = std::stol(field_of(line, "max_rss_kib"));
  }
  ASSERT_EQ(peak_kib.size(), kAgencies + 1) << "one child per answer, and the one that held the draw";
  long smallest = peak_kib.begin()->second;
  long largest = smallest;
  for (const auto& [pid, kib] : peak_kib) {
    smallest = std::min(smallest, kib);
    largest = std::max(largest, kib);
  }
  std::fprintf(stderr, "answering children's peak resident sets: %ld KiB to %ld KiB\n", smallest, largest);
  EXPECT_LE(largest - smallest, kAnswerBudgetKib)
      << "an answer of " << kBetsPerAgency << " bets' winners cost " << largest - smallest
      << " KiB more than an answer of none";
}

}  // namespace
}  // namespace tp0::testing
