// The real client against servers that stop answering: every wait it makes is bounded, by
// server.timeout for each step and by server.patience for the whole of a loss, and by
// server.drawTimeout for the draw; a server that answers again after each loss is waited
// for as long as it keeps doing so.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/protocol/messages.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/tls_peer.h"
#include "tests/tls/test_pki.h"

namespace tp0::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::size_t kBets = 40;
constexpr milliseconds kPatience{1000};
constexpr milliseconds kTimeout{300};
// What a client's start and end may add to its waits: its process, its certificates,
// sanitizers, a loaded machine.
constexpr milliseconds kSlack{2000};
// Past it a client is taken for one that waits for ever (today's bound is seconds).
constexpr std::chrono::seconds kHung{20};

// What the client says when its patience runs out, naming both settings.
const std::string kGaveUp = "for 1s (server.patience; each wait within 300ms, server.timeout): ";

class ClientTimeouts : public ::testing::Test {
 protected:
  struct Outcome {
    int code;
    milliseconds elapsed;  // from the client's start to its exit
  };

  // Agency 1's real client against 127.0.0.1:`port` in `mode`, with server.patience
  // kPatience and server.timeout kTimeout unless `settings` says otherwise; through TLS
  // with its certificate unless `tls` is false.
  Process& start_client(std::uint16_t port, const std::string& mode, bool tls,
                        const Environment& settings = {}) {
    Environment environment = settings;
    if (tls) environment.merge(client_tls_environment(pki().agency(1)));
    environment.emplace("CLI_TLS", tls ? "on" : "off");
    environment.emplace("CLI_ID", "1");
    environment.emplace("CLI_MODE", mode);
    environment.emplace("CLI_SERVER_ADDRESS", "127.0.0.1:" + std::to_string(port));
    environment.emplace("CLI_SERVER_PATIENCE", std::to_string(kPatience.count()) + "ms");
    environment.emplace("CLI_SERVER_TIMEOUT", std::to_string(kTimeout.count()) + "ms");
    environment.emplace("CLI_DATA_FILE", write_agency_file(dir_.file("agency-1.csv"), 1, kBets, 2).path);
    environment.emplace("CLI_LOOP_AMOUNT", "3");
    environment.emplace("CLI_LOOP_PERIOD", "10ms");
    environment.emplace("CLI_LOG_LEVEL", "DEBUG");
    for (const auto& [name, value] : Environment{{"NOMBRE", "Ana"},
                                                 {"APELLIDO", "Paz"},
                                                 {"DOCUMENTO", "30904465"},
                                                 {"NACIMIENTO", "1999-03-17"},
                                                 {"NUMERO", "7574"}}) {
      environment.emplace(name, value);  // mode bet's bet
    }
    started_ = steady_clock::now();
    client_.emplace(TP0_CLIENT_BIN, environment, dir_.path(), dir_.file("client.log"));
    return *client_;
  }

  // Waits for the client to exit, for at most kHung.
  Outcome wait_exit() {
    const std::optional<int> code = client_->wait_exit(kHung);
    const auto elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started_);
    return {code.value_or(-1), elapsed};
  }

  // The client's one `result: fail` line (the test fails unless there is exactly one).
  std::string failure() {
    const auto failures = client_->lines_containing("result: fail");
    EXPECT_EQ(failures.size(), 1u) << client_->output();
    return failures.empty() ? "" : failures[0];
  }

  // A client that gave up after its patience: not before it, and within it plus the
  // last attempt's server.timeout (and the first one's, which started the patience).
  void expect_gave_up_after_its_patience(const Outcome& outcome, const std::string& mode) {
    EXPECT_EQ(outcome.code, 1) << client_->output();
    EXPECT_GE(outcome.elapsed, kPatience) << client_->output();
    EXPECT_LE(outcome.elapsed, kPatience + 2 * kTimeout + kSlack) << client_->output();
    const std::string line = failure();
    EXPECT_NE(
        line.find("action: " + mode + " | result: fail | client_id: 1 | error: no working connection to "),
        std::string::npos)
        << line;
    EXPECT_NE(line.find(kGaveUp), std::string::npos) << line;
  }

  TestPki& pki() {
    if (!pki_) pki_.emplace(dir_.file("pki"), std::vector<std::uint32_t>{1});
    return *pki_;
  }

  TempDir dir_;
  std::optional<TestPki> pki_;
  std::optional<Process> client_;
  steady_clock::time_point started_;
};

// A listener nobody accepts from: the kernel completes each connection, and nothing is
// ever said on it.
net::TcpListener silent_listener() { return net::TcpListener::listen("127.0.0.1", 0, 64); }

// Reads what the client sends until it ends the stream: a server that never answers.
void read_until_closed(SslEnd& end) {
  std::byte chunk[4096];
  while (end.read_some(chunk) > 0) {
  }
}

struct SilentCase {
  const char* test_name;
  const char* mode;
  bool tls;
};

void PrintTo(const SilentCase& silent, std::ostream* out) { *out << silent.test_name; }

class ClientAgainstASilentListener : public ClientTimeouts,
                                     public ::testing::WithParamInterface<SilentCase> {};

// Plain text: the Hello (or the echo line) is never answered. TLS: the handshake is.
TEST_P(ClientAgainstASilentListener, GivesUpAfterItsPatienceSayingSo) {
  const net::TcpListener listener = silent_listener();
  start_client(listener.port(), GetParam().mode, GetParam().tls);
  const Outcome outcome = wait_exit();
  ASSERT_NE(outcome.code, -1) << "the client still waits after " << kHung.count() << " s\n"
                              << client_->output();
  expect_gave_up_after_its_patience(outcome, GetParam().mode);
  // Each silence was a lost connection, tried again.
  const auto retries = client_->lines_containing("error: connection lost, resuming: ");
  ASSERT_GE(retries.size(), 2u) << client_->output();
  EXPECT_NE(retries[0].find("300 ms"), std::string::npos) << retries[0];
  if (GetParam().tls) {
    EXPECT_NE(retries[0].find("TLS handshake with 127.0.0.1"), std::string::npos) << retries[0];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ClientAgainstASilentListener,
    ::testing::Values(SilentCase{"LotteryPlain", "lottery", false}, SilentCase{"LotteryTls", "lottery", true},
                      SilentCase{"Bet", "bet", false}, SilentCase{"Echo", "echo", false}),
    [](const ::testing::TestParamInfo<SilentCase>& test) { return std::string(test.param.test_name); });

TEST_F(ClientTimeouts, AServerThatCompletesTheHandshakeButNeverAnswersHelloIsGivenUpOn) {
  FakeTlsServer fake(pki().server(), read_until_closed);
  start_client(fake.port(), "lottery", true);
  const Outcome outcome = wait_exit();
  const FakeTlsServer::Report report = fake.stop();
  expect_gave_up_after_its_patience(outcome, "lottery");
  EXPECT_GE(report.handshakes, 2u) << "the client did not try again";
  EXPECT_NE(client_->lines_containing("error: connection lost, resuming: receive from 127.0.0.1: ").size(),
            0u)
      << client_->output();
}

TEST_F(ClientTimeouts, AConnectThatCannotCompleteEndsAtTheTimeout) {
  // A backlog of 0 queues one connection; once it is full the kernel drops every SYN.
  const net::TcpListener listener = net::TcpListener::listen("127.0.0.1", 0, 0);
  std::vector<net::Connection> queued;
  while (true) {
    ASSERT_LT(queued.size(), 16u) << "the listener's queue never filled";
    try {
      queued.push_back(net::connect_to("127.0.0.1", std::to_string(listener.port()), kTimeout));
    } catch (const net::NetError& error) {
      ASSERT_NE(std::string(error.what()).find("not connected within 300 ms"), std::string::npos)
          << error.what();
      break;
    }
  }
  start_client(listener.port(), "lottery", false);
  const Outcome outcome = wait_exit();
  expect_gave_up_after_its_patience(outcome, "lottery");
  const auto attempts = client_->lines_containing("action: connect | result: in_progress");
  ASSERT_GE(attempts.size(), 2u) << client_->output();
  EXPECT_NE(attempts[0].find("connect: not connected within 300 ms"), std::string::npos) << attempts[0];
  EXPECT_NE(failure().find("connect: not connected within 300 ms"), std::string::npos);
}

TEST_F(ClientTimeouts, AServerThatAnswersOnceThenFallsSilentIsReconnectedToThenGivenUpOn) {
  std::size_t connections = 0;  // of the fake's thread, read once it stopped
  FakeTlsServer fake(pki().server(), [&](SslEnd& end) {
    if (connections++ == 0) {
      const auto hello = end.receive();
      if (hello && std::holds_alternative<protocol::Hello>(*hello)) end.send(protocol::Resume{0});
    }
    read_until_closed(end);
  });
  start_client(fake.port(), "lottery", true);
  const Outcome outcome = wait_exit();
  fake.stop();
  EXPECT_EQ(outcome.code, 1) << client_->output();
  // The patience starts at the first silence, one timeout after the Resume.
  EXPECT_LE(outcome.elapsed, kPatience + 3 * kTimeout + kSlack) << client_->output();
  EXPECT_GE(connections, 2u);
  const auto retries = client_->lines_containing("error: connection lost, resuming: ");
  ASSERT_FALSE(retries.empty()) << client_->output();
  EXPECT_NE(retries[0].find("receive from 127.0.0.1"), std::string::npos) << retries[0];
  EXPECT_NE(failure().find(kGaveUp), std::string::npos);
}

TEST_F(ClientTimeouts, ThePatienceStartsAgainAfterEachReconnectionTheServerResumes) {
  // Twice the fake takes the first batch and drops the connection, then answers busy to
  // kBusy Hellos, an outage of about 50 + 100 + 200 + 400 + 800 ms: less than the
  // patience of 2 s, the two together more. The third time it acknowledges every batch.
  constexpr std::size_t kBusy = 4;
  constexpr std::size_t kCycle = 1 + kBusy;
  constexpr milliseconds kLongPatience{2000};
  std::size_t connections = 0;  // the fake thread's own, read once it stopped
  std::optional<steady_clock::time_point> first_drop;
  steady_clock::time_point last_busy;
  FakeTlsServer fake(pki().server(), [&](SslEnd& end) {
    const std::size_t index = connections++;
    if (!end.receive()) return;  // the Hello
    if (index % kCycle != 0) {
      end.send(protocol::Ack{protocol::AckCode::kServerBusy, 0});
      last_busy = steady_clock::now();
      return;
    }
    end.send(protocol::Resume{0});
    if (index < 2 * kCycle) {
      end.receive();
      if (!first_drop) first_drop = steady_clock::now();
      return;
    }
    while (const auto message = end.receive()) {
      if (std::holds_alternative<protocol::Batch>(*message))
        end.send(protocol::Ack{protocol::AckCode::kOk, 0});
    }
  });
  start_client(fake.port(), "batch", true, {{"CLI_SERVER_PATIENCE", "2s"}, {"CLI_SERVER_TIMEOUT", "2s"}});
  const Outcome outcome = wait_exit();
  fake.stop();
  ASSERT_EQ(outcome.code, 0) << client_->output();
  EXPECT_EQ(connections, 2 * kCycle + 1);
  ASSERT_TRUE(first_drop.has_value());
  EXPECT_GT(last_busy - *first_drop, kLongPatience) << "the outages did not outlast one patience together";
  EXPECT_EQ(client_->lines_containing("error: connection lost, resuming: ").size(), 2u) << client_->output();
  EXPECT_EQ(client_->lines_containing("error: server busy").size(), 2 * kBusy) << client_->output();
  EXPECT_EQ(client_
                ->lines_containing("action: apuestas_enviadas | result: success | cantidad: " +
                                   std::to_string(kBets))
                .size(),
            1u)
      << client_->output();
}

// Answers WaitForDraw (a process server) or NotReady (a sequential one) to every query,
// and holds the bare connection after WaitForDraw until the client closes it.
class ClientWaitingForADrawNeverHeld : public ClientTimeouts, public ::testing::WithParamInterface<bool> {};

TEST_P(ClientWaitingForADrawNeverHeld, FailsAtTheDrawTimeoutSayingSo) {
  const bool waiting_room = GetParam();
  FakeTlsServer fake(pki().server(), [&](SslEnd& end) {
    while (const auto message = end.receive()) {
      if (std::holds_alternative<protocol::Hello>(*message)) end.send(protocol::Resume{kBets});
      if (std::holds_alternative<protocol::Finished>(*message))
        end.send(protocol::Ack{protocol::AckCode::kOk, 0});
      if (!std::holds_alternative<protocol::WinnersQuery>(*message)) continue;
      if (!waiting_room) {
        end.send(protocol::NotReady{});
        continue;
      }
      end.send(protocol::WaitForDraw{});
      read_until_closed(end);  // up to the client's close_notify
      end.say_goodbye();
      char nothing = 0;
      while (::recv(end.fd(), &nothing, 1, 0) > 0) {
      }
      return;
    }
  });
  // The reply timeout is longer than the draw's: only the draw's may end the wait.
  start_client(fake.port(), "lottery", true,
               {{"CLI_SERVER_DRAWTIMEOUT", "1s"}, {"CLI_SERVER_TIMEOUT", "5s"}});
  const Outcome outcome = wait_exit();
  const FakeTlsServer::Report report = fake.stop();
  EXPECT_EQ(outcome.code, 1) << client_->output();
  // Asking again stops when the next pause would end past the timeout: up to 500 ms early.
  EXPECT_GE(outcome.elapsed, milliseconds{waiting_room ? 1000 : 500}) << client_->output();
  EXPECT_LE(outcome.elapsed, milliseconds{1000} + kSlack) << client_->output();
  EXPECT_NE(
      failure().find("action: lottery | result: fail | client_id: 1 | error: the draw was not held within 1s "
                     "(server.drawTimeout)"),
      std::string::npos);
  if (waiting_room) {
    EXPECT_EQ(report.handshakes, 1u) << "the client left the waiting room before the timeout";
  } else {
    EXPECT_GE(report.handshakes, 3u) << "the client did not ask again";
  }
  EXPECT_TRUE(client_->lines_containing("consulta_ganadores").empty());
}

INSTANTIATE_TEST_SUITE_P(Servers, ClientWaitingForADrawNeverHeld, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& test) {
                           return std::string(test.param ? "WaitingRoom" : "Sequential");
                         });

}  // namespace
}  // namespace tp0::testing
