#include <gtest/gtest.h>
#include <poll.h>

#include <string>
#include <vector>

#include "client/lottery_client.h"
#include "common/net/tcp.h"
#include "common/protocol/channel.h"
#include "common/protocol/codec.h"
#include "common/sys/signals.h"
#include "common/tls/context.h"
#include "common/tls/session.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_peer.h"
#include "tests/support/bets.h"
#include "tests/support/certificates.h"
#include "tests/support/listener.h"

namespace tp0::testing {
namespace {

using protocol::Ack;
using protocol::AckCode;

constexpr std::chrono::seconds kPatience{20};
constexpr std::size_t kBatchBets = 5;

// The real client against a test's own server that holds back every Ack: a client that
// waited for each Ack before sending on would never send its second batch, and the idle
// timeout would fail the test instead of hanging it.
TEST(ClientPipelining, SendsAWindowOfBatchesAheadOfTheirAcks) {
  TempDir dir;
  const auto data = write_agency_file(dir.file("agency-1.csv"), 1, 12 * kBatchBets, 1);
  const std::uint32_t agencies[] = {1};
  make_certificates(dir.file("tls"), agencies);
  ignore_sigpipe();
  const tls::Context server_tls(tls::Context::Side::kServer,
                                credentials_in(dir.file("tls/server"), "server"));
  const tls::Credentials client_tls = credentials_in(dir.file("tls/agency-1"), "agency");
  auto listener = net::TcpListener::listen("127.0.0.1", 0, 1);
  Process client(TP0_CLIENT_BIN,
                 {{"CLI_ID", "1"},
                  {"CLI_SERVER_ADDRESS", "127.0.0.1:" + std::to_string(listener.port())},
                  {"CLI_DATA_FILE", data.path},
                  {"CLI_BATCH_MAXAMOUNT", std::to_string(kBatchBets)},
                  {"CLI_LOG_LEVEL", "DEBUG"},
                  {"CLI_TLS_CERT", client_tls.certificate},
                  {"CLI_TLS_KEY", client_tls.key},
                  {"CLI_TLS_CA", client_tls.authority}},
                 dir.path(), dir.file("client.log"));
  ASSERT_EQ(sys::wait_for(listener.fd(), POLLIN, kPatience), sys::WaitResult::kReady) << client.output();
  auto connection = testing::accept_or_throw(listener);
  ASSERT_TRUE(connection.has_value());
  connection->set_idle_timeout(std::chrono::milliseconds(kPatience));
  ASSERT_EQ(tls::accept(*connection, server_tls), 1u) << "the agency its certificate names";
  protocol::Channel channel(std::move(*connection));

  ASSERT_EQ(channel.receive_expected("Hello"), protocol::Message(protocol::Hello{1}));
  channel.send(protocol::Resume{0});
  std::size_t bets = 0;
  for (std::size_t i = 0; i < client::LotteryClient::kBatchesInFlight; ++i) {
    const auto message = channel.receive_expected("a batch sent ahead of its Ack");
    ASSERT_TRUE(std::holds_alternative<protocol::Batch>(message)) << protocol::name_of(message);
    bets += std::get<protocol::Batch>(message).bets.size();
  }
  for (std::size_t i = 0; i < client::LotteryClient::kBatchesInFlight; ++i)
    channel.post(Ack{AckCode::kOk, 0});
  channel.flush();

  bool finished = false;
  while (auto message = channel.receive()) {
    if (const auto* batch = std::get_if<protocol::Batch>(&*message)) {
      bets += batch->bets.size();
      channel.send(Ack{AckCode::kOk, 0});
    } else if (std::holds_alternative<protocol::Finished>(*message)) {
      finished = true;
      channel.send(Ack{AckCode::kOk, 0});
    } else if (std::holds_alternative<protocol::WinnersQuery>(*message)) {
      channel.send(protocol::Winners{true, {"7"}});
    } else {
      FAIL() << "unexpected " << protocol::name_of(*message);
    }
  }
  ASSERT_EQ(client.wait_exit(kPatience), 0) << client.output();
  EXPECT_TRUE(finished);
  EXPECT_EQ(bets, data.bets);
  EXPECT_EQ(client.lines_containing("action: batch_enviado | result: success").size(), 12u);
  EXPECT_EQ(
      client.lines_containing("action: consulta_ganadores | result: success | cant_ganadores: 1").size(), 1u);
}

// Batches sent back to back in one write: each is stored and acknowledged in order, and
// an invalid one in the middle is refused alone.
TEST(ServerPipelining, AnswersBatchesSentBackToBackInOrderEachStoredOrRefusedAlone) {
  constexpr std::uint32_t kAgency = 4;
  constexpr std::size_t kBatches = 9;
  constexpr std::size_t kInvalid = 5;
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"}});
  RawPeer peer(cluster, kAgency);
  std::vector<protocol::Message> stream{protocol::Hello{kAgency}};
  std::uint32_t position = 0;
  for (std::size_t i = 0; i < kBatches; ++i) {
    protocol::Batch batch = batch_of(kAgency, position, static_cast<std::uint32_t>(i * 100), 3);
    // A refused batch takes no place in the stream: the next one starts where it did.
    if (i == kInvalid) {
      batch.bets[2].birthdate = "1990-13-01";
    } else {
      position += 3;
    }
    stream.emplace_back(std::move(batch));
  }
  peer.send_bytes(frames_of(stream));

  EXPECT_EQ(peer.receive(), protocol::Message(protocol::Resume{0}));
  for (std::size_t i = 0; i < kBatches; ++i) {
    const Ack expected = i == kInvalid ? Ack{AckCode::kInvalidBet, 2} : Ack{AckCode::kOk, 0};
    EXPECT_EQ(peer.receive(), protocol::Message(expected)) << "batch " << i;
  }
  peer.close();
  ASSERT_TRUE(server.wait_for_lines("action: apuesta_recibida", kBatches, kRunTimeout)) << server.output();
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: success | cantidad: 3").size(),
            kBatches - 1);
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: fail | cantidad: 3").size(), 1u);

  std::vector<std::string> expected;
  for (std::size_t i = 0; i < kBatches; ++i) {
    if (i == kInvalid) continue;
    for (std::size_t j = 0; j < 3; ++j) {
      expected.push_back(bet_of(kAgency, static_cast<std::uint32_t>(i * 100 + j)).document + ",1");
    }
  }
  EXPECT_EQ(bet_keys_in_bets_file(cluster.bets_path(), kAgency), expected);
}

// A malformed frame ends the conversation, but the batches whole and valid before it,
// received in the same read, are still stored.
TEST(ServerPipelining, BatchesBeforeAMalformedFrameAreStillStored) {
  constexpr std::uint32_t kAgency = 5;
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"}});
  RawPeer peer(cluster, kAgency);
  std::vector<std::byte> stream = frame_of(protocol::Hello{kAgency});
  const auto batch = frame_of(batch_of(kAgency, 0, 0, 3));
  stream.insert(stream.end(), batch.begin(), batch.end());
  const std::byte empty_frame[] = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
  stream.insert(stream.end(), std::begin(empty_frame), std::end(empty_frame));
  peer.send_bytes(stream);
  EXPECT_TRUE(peer.closed_by_server());
  ASSERT_TRUE(server.wait_for_line("action: serve_connection | result: fail", kRunTimeout))
      << server.output();
  EXPECT_EQ(server.lines_containing("action: apuesta_recibida | result: success | cantidad: 3").size(), 1u);
  EXPECT_EQ(bet_keys_in_bets_file(cluster.bets_path(), kAgency),
            (std::vector<std::string>{"30000000,1", "30000001,1", "30000002,1"}));
}

// Hello, a batch, Finished and two WinnersQuery in one write, before the draw: every
// answer owed before the second query goes out. A process server cannot hand the
// connection to its waiting room with a message read behind the query: it refuses it after
// those answers. A sequential one answers each query NotReady.
class PipelinedQuery : public ::testing::TestWithParam<const char*> {};

TEST_P(PipelinedQuery, TheAnswersOwedBeforeAMessageBehindAnEarlyQueryAreSent) {
  constexpr std::uint32_t kAgency = 1;
  const bool sequential = std::string(GetParam()) == "sequential";
  Cluster cluster;
  auto& server = cluster.start_server({{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", "2"}});
  RawPeer peer(cluster, kAgency);
  peer.send_bytes(frames_of({protocol::Hello{kAgency}, batch_of(kAgency, 0, 0, 3), protocol::Finished{},
                             protocol::WinnersQuery{kAgency}, protocol::WinnersQuery{kAgency}}));
  EXPECT_EQ(peer.receive(), protocol::Message(protocol::Resume{0}));
  EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0})) << "the batch";
  EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kOk, 0})) << "Finished";
  if (sequential) {
    EXPECT_EQ(peer.receive(), protocol::Message(protocol::NotReady{}));
    EXPECT_EQ(peer.receive(), protocol::Message(protocol::NotReady{}));
    peer.close();
  } else {
    EXPECT_EQ(peer.receive(), protocol::Message(Ack{AckCode::kUnexpectedMessage, 0})) << "the refusal";
    EXPECT_TRUE(peer.closed_by_server());
    ASSERT_TRUE(server.wait_for_line("a message after a winners query, before the answer", kRunTimeout))
        << server.output();
  }
  ASSERT_TRUE(server.wait_for_line("action: agency_finished | result: success | agency: 1", kRunTimeout))
      << server.output();
  EXPECT_EQ(bet_keys_in_bets_file(cluster.bets_path(), kAgency),
            (std::vector<std::string>{"30000000,1", "30000001,1", "30000002,1"}));
}

INSTANTIATE_TEST_SUITE_P(Concurrency, PipelinedQuery, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
