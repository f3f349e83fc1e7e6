#include "bench/lottery_round.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <vector>

#include "tests/support/process.h"

namespace tp0::bench {
namespace {

using testing::Environment;
using testing::Process;

constexpr std::chrono::minutes kRoundTimeout{10};

// The number `key` holds in a log line `... | key: value | ...`.
std::int64_t number_in(const std::string& line, const std::string& key) {
  const std::string value = testing::field_of(line, key);
  if (value.empty()) throw std::runtime_error("no " + key + " in: " + line);
  return std::stoll(value);
}

// Streams the file: the driver must stay small, because a program it starts counts the
// driver's resident set as its own until exec(2), and the peak RSS would show it.
std::size_t rows_in(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::array<char, std::size_t{64} * 1024> chunk{};
  std::size_t rows = 0;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    rows += static_cast<std::size_t>(std::count(chunk.data(), chunk.data() + in.gcount(), '\n'));
  }
  return rows;
}

}  // namespace

RoundResult run_round(const Programs& programs, const AgencyFiles& files, const std::string& concurrency,
                      const std::string& scratch) {
  const std::size_t agencies = files.paths.size();
  const std::string bets_path = scratch + "/bets.csv";
  // A backlog and a child limit above the number of agencies: every client connects at
  // once, and neither a full accept queue nor a busy answer should be what is measured.
  Process server(programs.server,
                 {{"SERVER_IP", "127.0.0.1"},
                  {"SERVER_PORT", "0"},
                  {"SERVER_CONCURRENCY", concurrency},
                  {"SERVER_AGENCIES", std::to_string(agencies)},
                  {"SERVER_LISTEN_BACKLOG", std::to_string(agencies + 16)},
                  {"SERVER_MAX_CHILDREN", std::to_string(agencies + 16)},
                  {"STORAGE_FILEPATH", bets_path},
                  {"LOGGING_LEVEL", "INFO"}},
                 scratch, scratch + "/server.log");
  if (!server.wait_for_line("action: listen | result: success", kRoundTimeout)) {
    throw std::runtime_error("the server did not start:\n" + server.output());
  }
  const std::string port = testing::field_of(server.lines_containing("action: listen")[0], "port");

  const std::string server_address = "127.0.0.1:" + port;
  std::vector<std::unique_ptr<Process>> clients;
  for (std::size_t i = 0; i < agencies; ++i) {
    const std::string id = std::to_string(i + 1);
    std::string log_path = scratch;
    log_path.append("/client-").append(id).append(".log");
    clients.push_back(std::make_unique<Process>(programs.client,
                                                Environment{{"CLI_ID", id},
                                                            {"CLI_SERVER_ADDRESS", server_address},
                                                            {"CLI_MODE", "lottery"},
                                                            {"CLI_DATA_FILE", files.paths[i]},
                                                            {"CLI_LOG_LEVEL", "INFO"}},
                                                scratch, log_path));
  }

  RoundResult result;
  std::int64_t first_connect = 0;
  std::int64_t last_winners = 0;
  std::int64_t round_trip_total = 0;
  for (std::size_t i = 0; i < agencies; ++i) {
    Process& client = *clients[i];
    const auto code = client.wait_exit(kRoundTimeout);
    const std::string expected = "cant_ganadores: " + std::to_string(files.winners[i]);
    if (code != 0 || client.lines_containing("action: consulta_ganadores | result: success | " + expected).empty()) {
      throw std::runtime_error("client " + std::to_string(i + 1) + " failed (expected " + expected + "):\n" +
                               client.output() + "\nserver:\n" + server.output());
    }
    const std::string summary = client.lines_containing("action: lottery_summary")[0];
    const auto connected = number_in(summary, "first_connect_unix_us");
    first_connect = i == 0 ? connected : std::min(first_connect, connected);
    last_winners = std::max(last_winners, number_in(summary, "winners_unix_us"));
    const auto batches = number_in(summary, "batches");
    result.batches += static_cast<std::size_t>(batches);
    round_trip_total += batches * number_in(summary, "mean_round_trip_us");
    result.client_peak_rss_kib = std::max(result.client_peak_rss_kib, client.peak_rss_kib().value_or(0));
    result.cpu += client.cpu_time().value_or(std::chrono::microseconds{0});
  }
  server.send_signal(SIGTERM);
  if (server.wait_exit(kRoundTimeout) != 0) throw std::runtime_error("the server did not stop cleanly:\n" + server.output());
  result.server_peak_rss_kib = server.peak_rss_kib().value_or(0);
  result.cpu += server.cpu_time().value_or(std::chrono::microseconds{0});

  if (const std::size_t stored = rows_in(bets_path); stored != files.bets) {
    throw std::runtime_error("the bets file holds " + std::to_string(stored) + " rows, not " +
                             std::to_string(files.bets));
  }
  result.wall = std::chrono::microseconds(last_winners - first_connect);
  if (result.batches > 0) {
    result.mean_round_trip = std::chrono::microseconds(round_trip_total / static_cast<std::int64_t>(result.batches));
  }
  return result;
}

}  // namespace tp0::bench
