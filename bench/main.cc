// make bench: the lottery system against the floor of the same bytes through loopback,
// over the course's data set and generated ones; see docs/benchmark.md.
//
// Usage: tp0_bench --server PATH --client PATH --out DIR [--dataset ZIP] [--quick | --agencies-only]
// The rounds of 10,000 agencies are played by tp0_load_generator, found beside tp0_bench.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/agency_files.h"
#include "bench/floor.h"
#include "bench/lottery_round.h"
#include "tests/support/process.h"

namespace tp0::bench {
namespace {

struct Options {
  Programs programs;
  std::string out;
  std::string dataset;
  bool quick = false;
  bool agencies_only = false;
};

// One data set of the benchmark; `series` places it in the plot ("bets": 5 agencies and
// a growing number of bets; "agencies": 1,000,000 bets over a growing number of agencies).
struct DataSet {
  std::string name;
  std::uint32_t agencies = 0;
  std::size_t bets = 0;  // 0: the course's data set
  std::vector<std::string> series;
  std::vector<std::string> concurrencies{"sequential", "process"};
  // SERVER_DURABILITY settings measured, each beside the other for every concurrency.
  std::vector<std::string> durabilities{"process"};
  // More agencies than the server's default SERVER_MAX_CHILDREN, which it keeps: the
  // round must complete with fewer slots than agencies. Such a round gets 120 s, and no
  // floor, which would need a thread and three descriptors per agency.
  bool many_agencies = false;
  // One tp0_load_generator process plays the agencies, too many to start a client each.
  bool load_generator = false;
};

struct Row {
  const DataSet* set = nullptr;
  AgencyFiles files;
  std::string concurrency;
  std::string durability;
  int runs = 0;
  double wall_ms = 0;
  double floor_ms = 0;  // 0: not measured
  double cpu_ms = 0;
  RoundResult round;
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
    } else {
      return std::nullopt;
    }
  }
  if (options.programs.server.empty() || options.programs.client.empty() || options.out.empty()) return std::nullopt;
  if (options.quick && options.agencies_only) return std::nullopt;
  // The programs run in folders of their own, so relative paths would not find them.
  options.programs.server = std::filesystem::absolute(options.programs.server);
  options.programs.client = std::filesystem::absolute(options.programs.client);
  // Built beside tp0_bench, wherever the build folder is.
  options.programs.load_generator =
      std::filesystem::read_symlink("/proc/self/exe").parent_path() / "tp0_load_generator";
  return options;
}

// Many agencies of 100 bets each: what the server's process and connection handling
// costs, more than its bets. Not in --quick.
std::vector<DataSet> many_agency_sets() {
  return {{.name = "generated", .agencies = 1'000, .bets = 100'000, .series = {}, .many_agencies = true},
          {.name = "generated",
           .agencies = 10'000,
           .bets = 1'000'000,
           .series = {},
           .concurrencies = {"process"},
           .many_agencies = true,
           .load_generator = true}};
}

std::vector<DataSet> data_sets(const Options& options) {
  if (options.agencies_only) return many_agency_sets();
  std::vector<DataSet> sets;
  // Acknowledging after fdatasync is measured where its cost per batch shows: the course's
  // data set and the largest round of five agencies.
  if (!options.dataset.empty()) {
    sets.push_back({.name = "course", .agencies = 5, .bets = 0, .series = {}, .durabilities = {"process", "machine"}});
  }
  const std::size_t million = options.quick ? 100'000 : 1'000'000;
  for (const std::size_t bets : {million / 8, million / 4, million / 2}) {
    sets.push_back({"generated", 5, bets, {"bets"}});
  }
  sets.push_back({.name = "generated",
                  .agencies = 5,
                  .bets = million,
                  .series = {"bets", "agencies"},
                  .durabilities = {"process", "machine"}});
  for (const std::uint32_t agencies : {25U, 50U, 100U}) sets.push_back({"generated", agencies, million, {"agencies"}});
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

Row measure(const Options& options, const DataSet& set, const AgencyFiles& files, const std::string& concurrency,
            const std::string& durability, const std::string& scratch) {
  Row row{&set, files, concurrency, durability, runs_for(set, files), 0, 0, 0, {}};
  RoundSettings settings{concurrency, durability};
  if (set.many_agencies) {
    settings.default_child_limit = true;
    settings.timeout = std::chrono::seconds(120);
  }
  const auto play_round = set.load_generator ? run_generated_round : run_round;
  std::vector<double> walls;
  std::vector<double> floors;
  std::vector<double> cpus;
  std::vector<RoundResult> rounds;
  for (int run = 0; run < row.runs; ++run) {
    const testing::TempDir round_dir;
    rounds.push_back(play_round(options.programs, files, settings, round_dir.path()));
    walls.push_back(ms(rounds.back().wall));
    cpus.push_back(ms(rounds.back().cpu));
    if (!set.many_agencies) floors.push_back(ms(push_through_loopback(files, scratch + "/floor.out")));
  }
  row.wall_ms = median(walls);
  row.floor_ms = floors.empty() ? 0 : median(floors);
  row.cpu_ms = median(cpus);
  // The round whose wall time is the median one speaks for the rest of the row.
  row.round = *std::min_element(rounds.begin(), rounds.end(), [&](const RoundResult& a, const RoundResult& b) {
    return std::abs(ms(a.wall) - row.wall_ms) < std::abs(ms(b.wall) - row.wall_ms);
  });
  for (const auto& round : rounds) {
    row.round.server_peak_rss_kib = std::max(row.round.server_peak_rss_kib, round.server_peak_rss_kib);
    row.round.server_total_rss_kib = std::max(row.round.server_total_rss_kib, round.server_total_rss_kib);
    row.round.client_peak_rss_kib = std::max(row.round.client_peak_rss_kib, round.client_peak_rss_kib);
  }
  return row;
}

void print_header() {
  std::printf("%-16s %8s %9s %-16s %5s %10s %10s %8s %6s %8s %10s %16s %10s %8s %8s\n", "data", "agencies", "bets",
              "server", "runs", "wall ms", "bets/s", "floor ms", "ratio", "cpu ms", "server MiB", "server total MiB",
              "client MiB", "batches", "rtt us");
}

// The server column: its concurrency, and "+fsync" when it acknowledges after fdatasync.
std::string server_label(const std::string& concurrency, const std::string& durability) {
  return durability == "machine" ? concurrency + "+fsync" : concurrency;
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

void print(const Row& row) {
  char floor[16] = "-";
  char ratio[16] = "-";
  if (row.floor_ms > 0) {
    std::snprintf(floor, sizeof floor, "%.1f", row.floor_ms);
    std::snprintf(ratio, sizeof ratio, "%.1f", row.wall_ms / row.floor_ms);
  }
  std::printf("%-16s %8zu %9zu %-16s %5d %10.1f %10.0f %8s %6s %8.1f %10.1f %16.1f %10.1f %8zu %8.0f\n",
              row.files.label.c_str(), row.files.paths.size(), row.files.bets, server_label(row.concurrency,
              row.durability).c_str(), row.runs,
              row.wall_ms, static_cast<double>(row.files.bets) / (row.wall_ms / 1000.0), floor, ratio, row.cpu_ms,
              mib(row.round.server_peak_rss_kib), mib(row.round.server_total_rss_kib),
              mib(row.round.client_peak_rss_kib), row.round.batches,
              static_cast<double>(row.round.mean_round_trip.count()));
  std::fflush(stdout);
}

// The row's first columns and the first line of `error` in the table; all of it on stderr.
void print_failure(const AgencyFiles& files, const std::string& concurrency, const std::string& error) {
  std::printf("%-16s %8zu %9zu %-16s failed: %s\n", files.label.c_str(), files.paths.size(), files.bets,
              concurrency.c_str(), error.substr(0, error.find('\n')).c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "bench: %s, %s: %s\n", files.label.c_str(), concurrency.c_str(), error.c_str());
}

// One file per plot series: x, then the sequential, process and floor times in ms.
void write_series(const std::vector<Row>& rows, const std::string& series, const std::string& path) {
  std::map<std::size_t, std::map<std::string, double>> points;
  for (const auto& row : rows) {
    if (row.durability != "process") continue;  // the plot shows the default
    const auto& names = row.set->series;
    if (std::find(names.begin(), names.end(), series) == names.end()) continue;
    const std::size_t x = series == "bets" ? row.files.bets : row.files.paths.size();
    points[x][row.concurrency] = row.wall_ms;
    points[x]["floor"] = row.floor_ms;
  }
  std::ofstream out(path);
  out << "# " << series << " sequential_ms process_ms floor_ms\n";
  for (auto& [x, times] : points) {
    out << x << ' ' << times["sequential"] << ' ' << times["process"] << ' ' << times["floor"] << '\n';
  }
}

int run(const Options& options) {
  const std::vector<DataSet> sets = data_sets(options);  // the rows point into it
  if (std::any_of(sets.begin(), sets.end(), [](const DataSet& set) { return set.load_generator; }) &&
      !std::filesystem::exists(options.programs.load_generator)) {
    throw std::runtime_error(options.programs.load_generator + " not found: build the target tp0_load_generator");
  }
  const testing::TempDir scratch;
  std::vector<Row> rows;
  int failures = 0;
  print_header();
  for (const auto& set : sets) {
    const testing::TempDir data_dir;
    const AgencyFiles files = set.bets == 0 ? course_agency_files(options.dataset, data_dir.path())
                                            : generate_agency_files(data_dir.path(), set.agencies, set.bets);
    for (const auto& concurrency : set.concurrencies) {
      for (const auto& durability : set.durabilities) {
        try {
          rows.push_back(measure(options, set, files, concurrency, durability, scratch.path()));
          print(rows.back());
        } catch (const std::exception& error) {
          // The other rows still say something; the benchmark fails at the end.
          ++failures;
          print_failure(files, server_label(concurrency, durability), error.what());
        }
      }
    }
  }
  write_series(rows, "bets", options.out + "/bets.dat");
  write_series(rows, "agencies", options.out + "/agencies.dat");
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tp0::bench

int main(int argc, char** argv) {
  const auto options = tp0::bench::parse(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: %s --server PATH --client PATH --out DIR [--dataset ZIP] [--quick | --agencies-only]\n",
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
