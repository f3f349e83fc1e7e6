#include "bench/lottery_round.h"

#include <algorithm>
#include <array>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "bench/log_watch.h"
#include "bench/tree_rss.h"
#include "tests/support/process.h"

namespace tp0::bench {
namespace {

using testing::Environment;
using testing::Process;

// Lines of a server's log an error shows: a round of many agencies logs thousands.
constexpr std::size_t kLogTailLines = 40;

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

// The lines of the log at `path` that hold `needle`, streamed like rows_in().
std::size_t lines_in(const std::string& path, const std::string& needle) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) ++lines;
  }
  return lines;
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t start = text.size();
  for (std::size_t seen = 0; start > 0 && seen <= lines; --start) {
    if (text[start - 1] == '\n') ++seen;
  }
  return start == 0 ? text : "...\n" + text.substr(start + 1);
}

Environment server_environment(std::size_t agencies, const RoundSettings& settings,
                               const std::string& scratch) {
  const std::string above_agencies = std::to_string(agencies + 16);
  // Each agency connects twice, for its bets and for its winners, in a round that can be
  // over within a second.
  const std::string above_connections = std::to_string(2 * agencies + 16);
  Environment environment{{"SERVER_IP", "127.0.0.1"},
                          {"SERVER_PORT", "0"},
                          {"SERVER_CONCURRENCY", settings.concurrency},
                          {"SERVER_DURABILITY", settings.durability},
                          {"SERVER_AGENCIES", std::to_string(agencies)},
                          {"SERVER_LISTEN_BACKLOG", above_agencies},
                          {"STORAGE_FILEPATH", scratch + "/bets.csv"},
                          {"LOGGING_LEVEL", "INFO"},
                          // Every agency here comes from 127.0.0.1, one network, where under
                          // Compose they share a /24 but far fewer connect at once: the
                          // limits per network are set above what the round asks of them.
                          {"SERVER_MAX_INTRODUCTIONS_PER_NETWORK", above_agencies},
                          {"SERVER_INTRODUCTIONS_PER_SECOND", above_connections}};
  if (!settings.default_child_limit) environment["SERVER_MAX_CHILDREN"] = above_agencies;
  if (settings.tls_dir.empty()) {
    environment["SERVER_TLS"] = "off";
  } else {
    environment["SERVER_TLS"] = "on";
    environment["SERVER_TLS_CERT"] = settings.tls_dir + "/server/server.crt";
    environment["SERVER_TLS_KEY"] = settings.tls_dir + "/server/server.key";
    environment["SERVER_TLS_CA"] = settings.tls_dir + "/server/ca.crt";
  }
  return environment;
}

testing::Environment client_environment(const std::string& id, const std::string& server_address,
                                        const std::string& data_file, const RoundSettings& settings) {
  Environment environment{{"CLI_ID", id},
                          {"CLI_SERVER_ADDRESS", server_address},
                          {"CLI_MODE", "lottery"},
                          {"CLI_DATA_FILE", data_file},
                          {"CLI_LOG_LEVEL", "INFO"}};
  if (settings.tls_dir.empty()) {
    environment["CLI_TLS"] = "off";
  } else {
    const std::string folder = settings.tls_dir + "/agency-" + id;
    environment["CLI_TLS"] = "on";
    environment["CLI_TLS_CERT"] = folder + "/agency.crt";
    environment["CLI_TLS_KEY"] = folder + "/agency.key";
    environment["CLI_TLS_CA"] = folder + "/ca.crt";
  }
  return environment;
}

// bin/server for one round, on a port of its own, with the resident set of all its
// processes watched from its start to its stop.
class RoundServer {
 public:
  RoundServer(const Programs& programs, const AgencyFiles& files, const RoundSettings& settings,
              const std::string& scratch)
      : files_(files),
        bets_path_(scratch + "/bets.csv"),
        log_path_(scratch + "/server.log"),
        process_(programs.server, server_environment(files.paths.size(), settings, scratch), scratch,
                 log_path_),
        memory_(process_.pid()),
        draw_(log_path_, "action: sorteo | result: success") {
    if (!process_.wait_for_line("action: listen | result: success", settings.timeout)) {
      throw std::runtime_error("the server did not start:\n" + log());
    }
    address_ = "127.0.0.1:" + testing::field_of(process_.lines_containing("action: listen")[0], "port");
    const auto room = process_.lines_containing("action: open_waiting_room");
    memory_.track_children(room.empty() ? 0
                                        : static_cast<pid_t>(std::stol(testing::field_of(room[0], "pid"))));
  }

  const std::string& address() const { return address_; }
  // When the server logged sorteo, in µs since 1970; known after stop().
  std::int64_t draw_unix_us() const { return draw_unix_us_; }
  std::string log() const { return tail(process_.output(), kLogTailLines); }

  // Stops the server with SIGTERM and checks that it exited cleanly and that the bets file
  // holds every bet; adds its memory and CPU to `result`.
  void stop(RoundResult& result) {
    process_.send_signal(SIGTERM);
    if (process_.wait_exit(std::chrono::seconds(30)) != 0) {
      throw std::runtime_error("the server did not stop cleanly:\n" + log());
    }
    result.server_memory = memory_.finish();
    result.server_peak_rss_kib = process_.peak_rss_kib().value_or(0);
    result.cpu += process_.cpu_time().value_or(std::chrono::microseconds{0});
    result.connections = lines_in(log_path_, "action: accept_connections | result: success");
    result.refused = lines_in(log_path_, "action: accept_connections | result: fail");
    const auto draw = draw_.finish();
    if (!draw) throw std::runtime_error("the server logged no sorteo:\n" + log());
    draw_unix_us_ = *draw;
    if (const std::size_t stored = rows_in(bets_path_); stored != files_.bets) {
      throw std::runtime_error("the bets file holds " + std::to_string(stored) + " rows, not " +
                               std::to_string(files_.bets));
    }
  }

 private:
  const AgencyFiles& files_;
  std::string bets_path_;
  std::string log_path_;
  Process process_;
  TreeRssSampler memory_;
  LogWatch draw_;
  std::string address_;
  std::int64_t draw_unix_us_ = 0;
};

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds{0}, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    deadline - std::chrono::steady_clock::now()));
}

}  // namespace

RoundResult run_round(const Programs& programs, const AgencyFiles& files, const RoundSettings& settings,
                      const std::string& scratch) {
  const std::size_t agencies = files.paths.size();
  const auto deadline = std::chrono::steady_clock::now() + settings.timeout;
  RoundServer server(programs, files, settings, scratch);
  std::vector<std::unique_ptr<Process>> clients;
  for (std::size_t i = 0; i < agencies; ++i) {
    const std::string id = std::to_string(i + 1);
    std::string log_path = scratch;
    log_path.append("/client-").append(id).append(".log");
    clients.push_back(std::make_unique<Process>(
        programs.client, client_environment(id, server.address(), files.paths[i], settings), scratch,
        log_path));
  }

  RoundResult result;
  std::int64_t first_connect = 0;
  std::int64_t last_winners = 0;
  std::int64_t round_trip_total = 0;
  for (std::size_t i = 0; i < agencies; ++i) {
    Process& client = *clients[i];
    const auto code = client.wait_exit(left_until(deadline));
    if (!code) {
      const auto exited =
          std::count_if(clients.begin(), clients.end(), [](auto& other) { return !other->running(); });
      throw std::runtime_error("the round did not complete within " +
                               std::to_string(settings.timeout.count()) + " s: " + std::to_string(exited) +
                               " of " + std::to_string(agencies) + " clients exited; client " +
                               std::to_string(i + 1) + ":\n" + tail(client.output(), kLogTailLines) +
                               "\nserver:\n" + server.log());
    }
    const std::string expected = "cant_ganadores: " + std::to_string(files.winners[i]);
    if (*code != 0 ||
        client.lines_containing("action: consulta_ganadores | result: success | " + expected).empty()) {
      throw std::runtime_error("client " + std::to_string(i + 1) + " failed (expected " + expected + "):\n" +
                               client.output() + "\nserver:\n" + server.log());
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
  server.stop(result);
  result.wall = std::chrono::microseconds(last_winners - first_connect);
  result.draw_to_last_winners = std::chrono::microseconds(last_winners - server.draw_unix_us());
  if (result.batches > 0) {
    result.mean_round_trip =
        std::chrono::microseconds(round_trip_total / static_cast<std::int64_t>(result.batches));
  }
  return result;
}

RoundResult run_generated_round(const Programs& programs, const AgencyFiles& files,
                                const RoundSettings& settings, const std::string& scratch) {
  RoundServer server(programs, files, settings, scratch);
  Process generator(programs.load_generator,
                    {{"LOAD_SERVER_ADDRESS", server.address()},
                     {"LOAD_DATA_DIR", std::filesystem::path(files.paths.at(0)).parent_path()},
                     {"LOAD_AGENCIES", std::to_string(files.paths.size())},
                     {"LOAD_TIMEOUT_SECONDS", std::to_string(settings.timeout.count())},
                     {"LOAD_TLS_DIR", settings.tls_dir}},
                    scratch, scratch + "/load_generator.log");
  // The generator gives up at its own timeout; a little more time lets it say why.
  const auto code = generator.wait_exit(settings.timeout + std::chrono::seconds(30));
  const auto summaries = generator.lines_containing("action: load_summary");
  if (code != 0 || summaries.empty() || testing::field_of(summaries[0], "result") != "success") {
    const std::string why = summaries.empty() ? "" : testing::field_of(summaries[0], "error");
    throw std::runtime_error("the load generator failed" + (why.empty() ? "" : ": " + why) + "\n" +
                             generator.output() + "\nserver:\n" + server.log());
  }
  const std::string& summary = summaries[0];
  const auto winners = static_cast<std::size_t>(number_in(summary, "winners"));
  if (winners != std::accumulate(files.winners.begin(), files.winners.end(), std::size_t{0})) {
    throw std::runtime_error("the load generator got " + std::to_string(winners) + " winners in all:\n" +
                             summary);
  }
  RoundResult result;
  result.wall = std::chrono::microseconds(number_in(summary, "wall_us"));
  result.batches = static_cast<std::size_t>(number_in(summary, "batches"));
  result.mean_round_trip = std::chrono::microseconds(number_in(summary, "mean_round_trip_us"));
  result.client_peak_rss_kib = generator.peak_rss_kib().value_or(0);
  result.cpu = generator.cpu_time().value_or(std::chrono::microseconds{0}) -
               std::chrono::microseconds(number_in(summary, "setup_cpu_us"));
  result.full_handshakes = static_cast<std::size_t>(number_in(summary, "full_handshakes"));
  result.resumed_handshakes = static_cast<std::size_t>(number_in(summary, "resumed_handshakes"));
  server.stop(result);
  result.draw_to_last_winners =
      std::chrono::microseconds(number_in(summary, "winners_unix_us") - server.draw_unix_us());
  return result;
}

}  // namespace tp0::bench
