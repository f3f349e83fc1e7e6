// tp0_load_generator: many agencies from one process, for the benchmark's rounds with
// more agencies than the machine can start clients (see bench/load_generator.h). Set up,
// like the programs it stands in for, by the environment:
//   LOAD_SERVER_ADDRESS  host:port of the server
//   LOAD_DATA_DIR        the folder of agency-1.csv ... agency-N.csv
//   LOAD_AGENCIES        N
//   LOAD_WORKERS         conversations in progress at once (default 32)
//   LOAD_TIMEOUT_SECONDS for the whole round (default 120)
//   LOAD_TLS_DIR         the certificates, in the layout of scripts/make-certs.sh, for
//                        mutual TLS as each agency; unset or empty: plain text
// Prints one line, `action: load_summary | result: success | ...` with the figures, and
// exits 0; on failure prints the line with `result: fail | error: ...` and exits 1.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "bench/load_generator.h"
#include "common/net/address.h"
#include "common/sys/system_error.h"

namespace {

using tp0::bench::LoadError;

std::string setting(const char* name, const char* fallback = nullptr) {
  const char* value = std::getenv(name);
  if (value != nullptr && *value != '\0') return value;
  if (fallback == nullptr) throw LoadError(std::string(name) + " is not set");
  return fallback;
}

unsigned long number_setting(const char* name, const char* fallback = nullptr) {
  const std::string text = setting(name, fallback);
  try {
    return std::stoul(text);
  } catch (const std::exception&) {
    throw LoadError(std::string(name) + " is not a number: " + text);
  }
}

// Every agency keeps its connection open until its answer, so the generator needs a
// descriptor per agency: more than the usual soft limit of 1,024.
void allow_descriptors(std::size_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == -1) throw tp0::sys::last_error("getrlimit RLIMIT_NOFILE");
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == -1) throw tp0::sys::last_error("setrlimit RLIMIT_NOFILE");
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    throw LoadError("needs about " + std::to_string(needed) + " descriptors, RLIMIT_NOFILE allows " +
                    std::to_string(limit.rlim_cur));
  }
}

}  // namespace

int main() {
  try {
    const auto server = tp0::net::split_host_port(setting("LOAD_SERVER_ADDRESS"));
    tp0::bench::LoadSettings settings;
    settings.host = server.host;
    settings.port = server.port;
    settings.data_dir = setting("LOAD_DATA_DIR");
    settings.agencies = static_cast<std::uint32_t>(number_setting("LOAD_AGENCIES"));
    settings.workers = number_setting("LOAD_WORKERS", "32");
    settings.timeout = std::chrono::seconds(number_setting("LOAD_TIMEOUT_SECONDS", "120"));
    settings.tls_dir = setting("LOAD_TLS_DIR", "");
    allow_descriptors(settings.agencies + settings.workers + 16);
    const tp0::bench::LoadResult result = tp0::bench::drive_agencies(settings);
    std::printf(
        "action: load_summary | result: success | agencies: %u | tls: %s | bets: %zu | batches: %zu | "
        "mean_round_trip_us: %lld | winners: %zu | busy_answers: %zu | wait_answers: %zu | not_ready_answers: %zu | "
        "full_handshakes: %zu | resumed_handshakes: %zu | setup_cpu_us: %lld | betting_us: %lld | wall_us: %lld | "
        "first_connect_unix_us: %lld | winners_unix_us: %lld\n",
        settings.agencies, settings.tls_dir.empty() ? "off" : "on", result.bets, result.batches,
        static_cast<long long>(result.mean_round_trip.count()), result.winners, result.busy_answers,
        result.wait_answers, result.not_ready_answers, result.full_handshakes, result.resumed_handshakes,
        static_cast<long long>(result.setup_cpu.count()), static_cast<long long>(result.betting.count()),
        static_cast<long long>(result.wall.count()), static_cast<long long>(result.first_connect_unix_us),
        static_cast<long long>(result.last_winners_unix_us));
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "action: load_summary | result: fail | error: %s\n", error.what());
    return 1;
  }
}
