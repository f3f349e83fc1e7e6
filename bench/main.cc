// make bench: the lottery system against the floor of the same bytes through loopback,
// over the course's data set and generated ones, with mutual TLS beside plain text where
// its cost shows; see docs/benchmark.md.
//
// Usage: tp0_bench --server PATH --client PATH --out DIR [--dataset ZIP] [--quick | --agencies-only]
//                  [--baseline-server PATH --baseline-client PATH]
// With a baseline (the programs of another revision), every round of the default
// durability is also played by it, in turns with this one's, and compared at the end.
// The rounds of 10,000 agencies are played by tp0_load_generator, found beside tp0_bench.
// The certificates are made once into DIR/tls and kept for the next runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/agency_files.h"
#include "bench/floor.h"
#include "bench/lottery_round.h"
#include "bench/report.h"
#include "bench/rows.h"
#include "tests/support/certificates.h"
#include "tests/support/process.h"

namespace tp0::bench {
namespace {

struct Options {
  Programs programs;
  std::optional<Programs> baseline;
  std::string out;
  std::string dataset;
  bool quick = false;
  bool agencies_only = false;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

double ms(std::chrono::microseconds duration) { return static_cast<double>(duration.count()) / 1000.0; }

std::optional<Options> parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--quick") {
      options.quick = true;
      continue;
    }
    if (flag == "--agencies-only") {
      options.agencies_only = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    const std::string value = argv[++i];
    if (flag == "--server") {
      options.programs.server = value;
    } else if (flag == "--client") {
      options.programs.client = value;
    } else if (flag == "--out") {
      options.out = value;
    } else if (flag == "--dataset") {
      options.dataset = value;
    } else if (flag == "--baseline-server") {
      if (!options.baseline) options.baseline.emplace();
      options.baseline->server = std::filesystem::absolute(value);
    } else if (flag == "--baseline-client") {
      if (!options.baseline) options.baseline.emplace();
      options.baseline->client = std::filesystem::absolute(value);
    } else {
      return std::nullopt;
    }
  }
  if (options.programs.server.empty() || options.programs.client.empty() || options.out.empty())
    return std::nullopt;
  if (options.quick && options.agencies_only) return std::nullopt;
  if (options.baseline && (options.baseline->server.empty() || options.baseline->client.empty()))
    return std::nullopt;
  // The programs run in folders of their own, so relative paths would not find them.
  options.programs.server = std::filesystem::absolute(options.programs.server);
  options.programs.client = std::filesystem::absolute(options.programs.client);
  options.out = std::filesystem::absolute(options.out);
  // Built beside tp0_bench, wherever the build folder is.
  options.programs.load_generator =
      std::filesystem::read_symlink("/proc/self/exe").parent_path() / "tp0_load_generator";
  if (options.baseline) options.baseline->load_generator = options.programs.load_generator;
  return options;
}

// Many agencies of 100 bets each: what the server's process and connection handling
// costs, more than its bets; TLS adds two handshakes per agency, one of them resumed.
// Not in --quick.
std::vector<DataSet> many_agency_sets() {
  return {{.name = "generated",
           .agencies = 1'000,
           .bets = 100'000,
           .series = {},
           .many_agencies = true,
           .tls_pair = true},
          {.name = "generated",
           .agencies = 10'000,
           .bets = 1'000'000,
           .series = {},
           .concurrencies = {"process"},
           .many_agencies = true,
           .load_generator = true,
           .tls_pair = true}};
}

std::vector<DataSet> data_sets(const Options& options) {
  if (options.agencies_only) return many_agency_sets();
  std::vector<DataSet> sets;
  // Acknowledging after fdatasync is measured where its cost per batch shows: the course's
  // data set and the largest round of five agencies. TLS is measured on both too.
  if (!options.dataset.empty()) {
    sets.push_back({.name = "course",
                    .agencies = 5,
                    .bets = 0,
                    .series = {},
                    .durabilities = {"process", "machine"},
                    .tls_pair = true});
  }
  const std::size_t million = options.quick ? 100'000 : 1'000'000;
  for (const std::size_t bets : {million / 8, million / 4, million / 2}) {
    sets.push_back({"generated", 5, bets, {"bets"}});
  }
  sets.push_back({.name = "generated",
                  .agencies = 5,
                  .bets = million,
                  .series = {"bets", "agencies"},
                  .durabilities = {"process", "machine"},
                  .tls_pair = true});
  for (const std::uint32_t agencies : {25U, 50U, 100U})
    sets.push_back({"generated", agencies, million, {"agencies"}});
  if (!options.quick) {
    for (auto& set : many_agency_sets()) sets.push_back(std::move(set));
  }
  return sets;
}

// Small rounds are noisier and cheap: they get more runs. Rounds of many agencies are
// neither.
int runs_for(const DataSet& set, const AgencyFiles& files) {
  if (set.many_agencies) return 3;
  return files.bets < 200'000 ? 5 : 3;
}

// The TLS settings a row of `set` is measured with: off, and on beside it for a pair.
std::vector<bool> tls_settings(const DataSet& set, const std::string& durability) {
  if (set.tls_pair && durability == "process") return {false, true};
  return {false};
}

void keep_largest(long& kept, long seen) { kept = std::max(kept, seen); }

// Settles a row from its rounds: medians of the times, the round of the median wall time
// for the rest, and the largest memory any round reached.
void settle(Row& row, const std::vector<RoundResult>& rounds, const std::vector<double>& floors) {
  std::vector<double> walls;
  std::vector<double> cpus;
  for (const auto& round : rounds) {
    walls.push_back(ms(round.wall));
    cpus.push_back(ms(round.cpu));
  }
  row.wall_ms = median(walls);
  row.floor_ms = floors.empty() ? 0 : median(floors);
  row.cpu_ms = median(cpus);
  row.round =
      *std::min_element(rounds.begin(), rounds.end(), [&](const RoundResult& a, const RoundResult& b) {
        return std::abs(ms(a.wall) - row.wall_ms) < std::abs(ms(b.wall) - row.wall_ms);
      });
  for (const auto& round : rounds) {
    keep_largest(row.round.server_peak_rss_kib, round.server_peak_rss_kib);
    keep_largest(row.round.client_peak_rss_kib, round.client_peak_rss_kib);
    TreeMemory& kept = row.round.server_memory;
    keep_largest(kept.total_kib, round.server_memory.total_kib);
    keep_largest(kept.child_rss_kib, round.server_memory.child_rss_kib);
    keep_largest(kept.child_pss_kib, round.server_memory.child_pss_kib);
    keep_largest(kept.child_private_kib, round.server_memory.child_private_kib);
    keep_largest(kept.room_rss_kib, round.server_memory.room_rss_kib);
    keep_largest(kept.room_pss_kib, round.server_memory.room_pss_kib);
  }
}

// The rows of one data set, concurrency and durability: one per TLS setting, and one
// per TLS setting played by the baseline, their runs played in turns (plain, TLS, plain,
// ...), so that the machine's load, which drifts, weighs on all alike.
struct Measured {
  std::vector<Row> rows;
  std::vector<Row> baseline;  // empty without a baseline
};

Measured measure(const Options& options, const DataSet& set, const AgencyFiles& files,
                 const std::string& concurrency, const std::string& durability, const std::string& scratch) {
  const std::vector<bool> tls = tls_settings(set, durability);
  const bool with_baseline = options.baseline && durability == "process";
  std::vector<const Programs*> programs{&options.programs};
  if (with_baseline) programs.push_back(&*options.baseline);
  const int runs = runs_for(set, files);
  // Indexed [programs][tls setting].
  std::vector<std::vector<std::vector<RoundResult>>> rounds(
      programs.size(), std::vector<std::vector<RoundResult>>(tls.size()));
  std::vector<std::vector<std::vector<double>>> floors(programs.size(),
                                                       std::vector<std::vector<double>>(tls.size()));
  const auto play_round = set.load_generator ? run_generated_round : run_round;
  for (int run = 0; run < runs; ++run) {
    for (std::size_t i = 0; i < tls.size(); ++i) {
      for (std::size_t p = 0; p < programs.size(); ++p) {
        RoundSettings settings;
        settings.concurrency = concurrency;
        settings.durability = durability;
        if (set.many_agencies) {
          settings.default_child_limit = true;
          settings.timeout = std::chrono::seconds(300);
        }
        if (tls[i]) settings.tls_dir = options.out + "/tls";
        const testing::TempDir round_dir;
        rounds[p][i].push_back(play_round(*programs[p], files, settings, round_dir.path()));
        if (!set.many_agencies)
          floors[p][i].push_back(ms(push_through_loopback(files, scratch + "/floor.out")));
      }
    }
  }
  Measured measured;
  for (std::size_t p = 0; p < programs.size(); ++p) {
    for (std::size_t i = 0; i < tls.size(); ++i) {
      Row row{&set, files, concurrency, durability, tls[i], runs, 0, 0, 0, {}};
      settle(row, rounds[p][i], floors[p][i]);
      (p == 0 ? measured.rows : measured.baseline).push_back(std::move(row));
    }
  }
  return measured;
}

// The certificates of every agency of a TLS round, made once into <out>/tls: later runs
// find them there and make none.
void make_round_certificates(const Options& options, const std::vector<DataSet>& sets) {
  std::uint32_t agencies = 0;
  for (const auto& set : sets) {
    if (set.tls_pair) agencies = std::max(agencies, set.agencies);
  }
  if (agencies == 0) return;
  std::vector<std::uint32_t> ids(agencies);
  std::iota(ids.begin(), ids.end(), 1U);
  const auto start = std::chrono::steady_clock::now();
  testing::make_certificates(options.out + "/tls", ids);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::fprintf(stderr, "bench: the certificates of %u agencies are in %s/tls (%.1f s)\n", agencies,
               options.out.c_str(), took.count());
}

int run(const Options& options) {
  const std::vector<DataSet> sets = data_sets(options);  // the rows point into it
  if (std::any_of(sets.begin(), sets.end(), [](const DataSet& set) { return set.load_generator; }) &&
      !std::filesystem::exists(options.programs.load_generator)) {
    throw std::runtime_error(options.programs.load_generator +
                             " not found: build the target tp0_load_generator");
  }
  make_round_certificates(options, sets);
  const testing::TempDir scratch;
  std::vector<Row> rows;
  std::vector<Row> baseline_rows;
  int failures = 0;
  print_header();
  for (const auto& set : sets) {
    const testing::TempDir data_dir;
    const AgencyFiles files = set.bets == 0 ? course_agency_files(options.dataset, data_dir.path())
                                            : generate_agency_files(data_dir.path(), set.agencies, set.bets);
    for (const auto& concurrency : set.concurrencies) {
      for (const auto& durability : set.durabilities) {
        try {
          Measured measured = measure(options, set, files, concurrency, durability, scratch.path());
          for (auto& row : measured.rows) {
            print(row);
            rows.push_back(std::move(row));
          }
          for (auto& row : measured.baseline) baseline_rows.push_back(std::move(row));
        } catch (const std::exception& error) {
          // The other rows still say something; the benchmark fails at the end.
          ++failures;
          print_failure(files, server_label(concurrency, durability), set.tls_pair, error.what());
        }
      }
    }
  }
  print_tls_comparison(rows);
  if (options.baseline) print_baseline_comparison(rows, baseline_rows);
  print_waiting_room(rows);
  // A missed target is a finding to read in the table, not a failure of the benchmark.
  print_targets(rows);
  write_series(rows, "bets", options.out + "/bets.dat");
  write_series(rows, "agencies", options.out + "/agencies.dat");
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tp0::bench

int main(int argc, char** argv) {
  const auto options = tp0::bench::parse(argc, argv);
  if (!options) {
    std::fprintf(
        stderr,
        "usage: %s --server PATH --client PATH --out DIR [--dataset ZIP] [--quick | --agencies-only]\n"
        "       [--baseline-server PATH --baseline-client PATH]\n",
        argv[0]);
    return 2;
  }
  try {
    return tp0::bench::run(*options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench: %s\n", error.what());
    return 1;
  }
}
