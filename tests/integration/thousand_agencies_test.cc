// A round of 1,000 agencies with the server's default settings (SERVER_MAX_CHILDREN 64,
// listen backlog 5), driven by scripted agencies that speak the protocol from a few
// threads: 1,000 client processes under the sanitizers would not fit the machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "common/net/errors.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"

namespace tp0::testing {
namespace {

using protocol::Ack;
using protocol::AckCode;
using protocol::Message;

constexpr std::uint32_t kAgencies = 1000;
constexpr std::size_t kBetsPerAgency = 100;

std::size_t winners_of(std::uint32_t agency) { return agency % 4; }

// The documents of the winners answer to a query already sent, or nullopt when the draw
// is not held yet: NotReady (sequential), or WaitForDraw (process), after which the peer
// ends its TLS session as the server asks.
std::optional<std::size_t> winners_answer(RawPeer& peer) {
  std::size_t documents = 0;
  while (true) {
    const auto answer = peer.receive();
    if (!answer) throw std::runtime_error("the server closed before answering");
    if (std::holds_alternative<protocol::NotReady>(*answer)) return std::nullopt;
    if (std::holds_alternative<protocol::WaitForDraw>(*answer)) {
      peer.end_tls();
      return std::nullopt;
    }
    const auto& part = std::get<protocol::Winners>(*answer);
    documents += part.documents.size();
    if (part.last) return documents;
  }
}

// Waits, as long as a round may take, until the waiting room closes `peer`'s bare
// connection: the draw is held.
void await_the_draw(RawPeer& peer) {
  const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
  while (!peer.closed_by_server()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no draw within the run timeout");
  }
}

class ThousandAgencies : public ::testing::TestWithParam<const char*> {};

TEST_P(ThousandAgencies, CompleteOneRoundWithDefaultSettings) {
  const bool sequential = std::string(GetParam()) == "sequential";
  Cluster cluster;
  // At the cluster's DEBUG level the server logs each fork with the children it runs.
  auto& server = cluster.start_server(
      {{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", std::to_string(kAgencies)}});
  // A sequential server takes one connection at a time: more threads would only wait in
  // its backlog of 5.
  const std::uint32_t workers = sequential ? 4 : 16;
  std::vector<std::optional<std::size_t>> answers(kAgencies + 1);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::uint32_t worker = 0; worker < workers; ++worker) {
    threads.emplace_back([&, worker] {
      try {
        std::vector<std::pair<std::uint32_t, std::unique_ptr<RawPeer>>> waiting;
        for (std::uint32_t agency = 1 + worker; agency <= kAgencies; agency += workers) {
          auto peer = introduce_when_not_busy(cluster, agency);
          peer->send(batch_of(agency, 0, 0, kBetsPerAgency, winners_of(agency)));
          if (peer->receive() != Message(Ack{AckCode::kOk, 0})) throw std::runtime_error("batch refused");
          peer->send(protocol::Finished{});
          if (peer->receive() != Message(Ack{AckCode::kOk, 0})) throw std::runtime_error("Finished refused");
          peer->send(protocol::WinnersQuery{agency});
          // Not yet but for the last agency. A process server's waiting room then holds
          // the bare connection until the draw.
          answers[agency] = winners_answer(*peer);
          if (!answers[agency] && !sequential) waiting.emplace_back(agency, std::move(peer));
        }
        for (auto& [agency, peer] : waiting) {
          await_the_draw(*peer);
          peer.reset();
        }
        // Ask again, on a new connection each time, until the draw is held: a sequential
        // server answers NotReady before it, a process one has held it by now.
        for (std::uint32_t agency = 1 + worker; agency <= kAgencies; agency += workers) {
          while (!answers[agency]) {
            auto peer = introduce_when_not_busy(cluster, agency);
            peer->send(protocol::WinnersQuery{agency});
            answers[agency] = winners_answer(*peer);
            if (!answers[agency]) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      } catch (const std::exception& error) {
        ADD_FAILURE() << "worker " << worker << ": " << error.what();
        failed = true;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_FALSE(failed) << server.output().substr(0, 20000);
  for (std::uint32_t agency = 1; agency <= kAgencies; ++agency) {
    ASSERT_EQ(answers[agency], winners_of(agency)) << "agency " << agency;
  }
  const auto stored = bets_per_agency(cluster.bets_path());
  ASSERT_EQ(stored.size(), kAgencies);
  for (const auto& [agency, bets] : stored) ASSERT_EQ(bets, kBetsPerAgency) << agency;
  EXPECT_EQ(server.lines_containing("action: sorteo | result: success").size(), 1u);

  // The server never runs more children than SERVER_MAX_CHILDREN (64 by default), its
  // waiting room among them: its own count, logged at every fork, says so. A process
  // server forks for the waiting room and for each agency's conversation; a sequential
  // one never forks.
  if (sequential) {
    EXPECT_TRUE(server.lines_containing("action: fork_child").empty());
  } else {
    ASSERT_TRUE(server.wait_for_lines("action: fork_child | result: success", kAgencies + 1, kRunTimeout));
  }
  const auto forks = server.lines_containing("action: fork_child | result: success");
  std::size_t most_children = 0;
  for (const auto& fork : forks) {
    most_children = std::max(most_children, static_cast<std::size_t>(std::stoul(field_of(fork, "running"))));
  }
  EXPECT_LE(most_children, 64u);
  std::printf("%zu forks, at most %zu children running at once\n", forks.size(), most_children);
}

INSTANTIATE_TEST_SUITE_P(Concurrency, ThousandAgencies, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
