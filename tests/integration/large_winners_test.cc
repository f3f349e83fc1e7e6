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
#include <set>
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
      writer.stage(batch);
      ASSERT_EQ(writer.store_staged({agency, position}).outcome, storage::StoreOutcome::kStored);
    }
    ASSERT_TRUE(writer.close_stream(agency));
  }
}

// The peak resident set of process `pid` so far (VmHWM), in KiB, read while it runs.
long peak_kib_of(int pid) {
  for (const auto& line : split_lines(read_file("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  ADD_FAILURE() << "no VmHWM for process " << pid;
  return 0;
}

// The one child of the server that is not among `known`: the one forked for the
// connection the test holds open.
int new_child(const Process& server, std::set<int> known) {
  std::vector<int> added;
  for (const int child : children_of(server.pid())) {
    if (known.insert(child).second) added.push_back(child);
  }
  EXPECT_EQ(added.size(), 1u) << "the children forked since";
  return added.empty() ? 0 : added[0];
}

std::set<int> children_now(const Process& server) {
  const auto children = children_of(server.pid());
  return {children.begin(), children.end()};
}

// What the server answers `agency`'s query, and the peak resident set of the child that
// answered, measured once the answer is whole and while the child still serves.
struct Answer {
  std::vector<std::string> documents;
  long peak_kib = 0;
};

Answer ask_winners(Cluster& cluster, const Process& server, std::uint32_t agency) {
  const std::set<int> before = children_now(server);
  RawPeer peer(cluster, agency);
  const auto resume = peer.hello(agency);
  EXPECT_TRUE(resume && std::holds_alternative<protocol::Resume>(*resume));
  peer.send(protocol::WinnersQuery{agency});
  Answer answer;
  while (true) {
    const auto message = peer.receive();
    if (!message || !std::holds_alternative<protocol::Winners>(*message)) {
      ADD_FAILURE() << "agency " << agency << ": the answer ended without its last Winners message";
      return answer;
    }
    const auto& part = std::get<protocol::Winners>(*message);
    answer.documents.insert(answer.documents.end(), part.documents.begin(), part.documents.end());
    if (part.last) break;
  }
  answer.peak_kib = peak_kib_of(new_child(server, before));
  return answer;
}

TEST(LargeWinners, NoAnsweringProcessGrowsWithTheRoundAndEveryAgencyGetsItsWinners) {
  Cluster cluster;
  store_round_but_the_last_finished(cluster.bets_path());
  if (HasFatalFailure()) return;
  // AddressSanitizer keeps freed memory resident in its quarantine (256 MB by default), so
  // under it a process that allocates and frees a string per row seems to grow with the
  // rows; without the quarantine the peaks are the program's own.
  Process& server = cluster.start_server(
      {{"SERVER_AGENCIES", std::to_string(kAgencies)}, {"ASAN_OPTIONS", "quarantine_size_mb=0"}});
  // Each connection child's peak resident set, by agency: read from /proc while it
  // still serves, once its answer is whole.
  std::map<std::uint32_t, long> peak_kib;
  {
    // The last agency's Finished holds the draw, in the child that serves it: the record
    // is written there, and that child's peak is among those measured below.
    const std::set<int> before = children_now(server);
    RawPeer last(cluster, kLastAgency);
    ASSERT_EQ(last.hello(kLastAgency), protocol::Message(protocol::Resume{0}));
    const auto finished = std::chrono::steady_clock::now();
    last.send(protocol::Finished{});
    ASSERT_TRUE(server.wait_for_line("action: sorteo | result: success", kRunTimeout)) << server.output();
    const auto drawn = std::chrono::steady_clock::now();
    ASSERT_EQ(last.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
    std::fprintf(stderr, "the draw's record written in %lld ms\n",
                 static_cast<long long>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(drawn - finished).count()));
    peak_kib[0] = peak_kib_of(new_child(server, before));
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
    const Answer answer = ask_winners(cluster, server, agency);
    EXPECT_EQ(answer.documents.size(), expected.size()) << "agency " << agency;
    EXPECT_TRUE(answer.documents == expected) << "agency " << agency << ": not its winners in file order";
    peak_kib[agency] = answer.peak_kib;
  }

  ASSERT_EQ(peak_kib.size(), kAgencies + 1) << "one child per answer, and the one that held the draw";
  long smallest = peak_kib.begin()->second;
  long largest = smallest;
  for (const auto& [agency, kib] : peak_kib) {
    smallest = std::min(smallest, kib);
    largest = std::max(largest, kib);
  }
  std::fprintf(stderr, "answering children's peak resident sets: %ld KiB to %ld KiB\n", smallest, largest);
  EXPECT_GT(smallest, 0) << "a peak was not read";
  EXPECT_LE(largest - smallest, kAnswerBudgetKib)
      << "an answer of " << kBetsPerAgency << " bets' winners cost " << largest - smallest
      << " KiB more than an answer of none";
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(kRunTimeout), 0) << server.output();
}

}  // namespace
}  // namespace tp0::testing
