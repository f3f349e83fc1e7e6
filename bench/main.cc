// make bench: the lottery system against the floor of the same bytes through loopback,
// over the course's data set and generated ones; see README "Benchmark".
//
// Usage: tp0_bench --server PATH --client PATH --out DIR [--dataset ZIP] [--quick]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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
};

// One data set of the benchmark; `series` places it in the plot ("bets": 5 agencies and
// a growing number of bets; "agencies": 1,000,000 bets over a growing number of agencies).
struct DataSet {
  std::string name;
  std::uint32_t agencies = 0;
  std::size_t bets = 0;  // 0: the course's data set
  std::vector<std::string> series;
};

struct Row {
  const DataSet* set = nullptr;
  AgencyFiles files;
  std::string concurrency;
  double wall_ms = 0;
  double floor_ms = 0;
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
  // The programs run in folders of their own, so relative paths would not find them.
  options.programs.server = std::filesystem::absolute(options.programs.server);
  options.programs.client = std::filesystem::absolute(options.programs.client);
  return options;
}

std::vector<DataSet> data_sets(const Options& options) {
  std::vector<DataSet> sets;
  if (!options.dataset.empty()) sets.push_back({"course", 5, 0, {}});
  const std::size_t million = options.quick ? 100'000 : 1'000'000;
  for (const std::size_t bets : {million / 8, million / 4, million / 2}) {
    sets.push_back({"generated", 5, bets, {"bets"}});
  }
  sets.push_back({"generated", 5, million, {"bets", "agencies"}});
  for (const std::uint32_t agencies : {25U, 50U, 100U}) sets.push_back({"generated", agencies, million, {"agencies"}});
  return sets;
}

// Small rounds are noisier and cheap: they get more runs.
int runs_for(const AgencyFiles& files) { return files.bets < 200'000 ? 5 : 3; }

Row measure(const Options& options, const DataSet& set, const AgencyFiles& files, const std::string& concurrency,
            const std::string& scratch) {
  Row row{&set, files, concurrency, 0, 0, 0, {}};
  std::vector<double> walls;
  std::vector<double> floors;
  std::vector<double> cpus;
  std::vector<RoundResult> rounds;
  for (int run = 0; run < runs_for(files); ++run) {
    const testing::TempDir round_dir;
    rounds.push_back(run_round(options.programs, files, concurrency, round_dir.path()));
    walls.push_back(ms(rounds.back().wall));
    cpus.push_back(ms(rounds.back().cpu));
    floors.push_back(ms(push_through_loopback(files, scratch + "/floor.out")));
  }
  row.wall_ms = median(walls);
  row.floor_ms = median(floors);
  row.cpu_ms = median(cpus);
  // The round whose wall time is the median one speaks for the rest of the row.
  row.round = *std::min_element(rounds.begin(), rounds.end(), [&](const RoundResult& a, const RoundResult& b) {
    return std::abs(ms(a.wall) - row.wall_ms) < std::abs(ms(b.wall) - row.wall_ms);
  });
  for (const auto& round : rounds) {
    row.round.server_peak_rss_kib = std::max(row.round.server_peak_rss_kib, round.server_peak_rss_kib);
    row.round.client_peak_rss_kib = std::max(row.round.client_peak_rss_kib, round.client_peak_rss_kib);
  }
  return row;
}

void print_header() {
  std::printf("%-16s %8s %9s %-10s %5s %10s %10s %8s %6s %8s %10s %10s %8s %8s\n", "data", "agencies", "bets",
              "server", "runs", "wall ms", "bets/s", "floor ms", "ratio", "cpu ms", "server MiB", "client MiB",
              "batches", "rtt us");
}

void print(const Row& row) {
  std::printf("%-16s %8zu %9zu %-10s %5d %10.1f %10.0f %8.1f %6.1f %8.1f %10.1f %10.1f %8zu %8.0f\n",
              row.files.label.c_str(), row.files.paths.size(), row.files.bets, row.concurrency.c_str(),
              runs_for(row.files), row.wall_ms, static_cast<double>(row.files.bets) / (row.wall_ms / 1000.0),
              row.floor_ms, row.wall_ms / row.floor_ms, row.cpu_ms,
              static_cast<double>(row.round.server_peak_rss_kib) / 1024.0,
              static_cast<double>(row.round.client_peak_rss_kib) / 1024.0, row.round.batches,
              static_cast<double>(row.round.mean_round_trip.count()));
  std::fflush(stdout);
}

// One file per plot series: x, then the sequential, process and floor times in ms.
void write_series(const std::vector<Row>& rows, const std::string& series, const std::string& path) {
  std::map<std::size_t, std::map<std::string, double>> points;
  for (const auto& row : rows) {
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
  const testing::TempDir scratch;
  std::vector<Row> rows;
  print_header();
  const std::vector<DataSet> sets = data_sets(options);  // the rows point into it
  for (const auto& set : sets) {
    const testing::TempDir data_dir;
    const AgencyFiles files = set.bets == 0 ? course_agency_files(options.dataset, data_dir.path())
                                            : generate_agency_files(data_dir.path(), set.agencies, set.bets);
    for (const char* concurrency : {"sequential", "process"}) {
      rows.push_back(measure(options, set, files, concurrency, scratch.path()));
      print(rows.back());
    }
  }
  write_series(rows, "bets", options.out + "/bets.dat");
  write_series(rows, "agencies", options.out + "/agencies.dat");
  return 0;
}

}  // namespace
}  // namespace tp0::bench

int main(int argc, char** argv) {
  const auto options = tp0::bench::parse(argc, argv);
  if (!options) {
    std::fprintf(stderr, "usage: %s --server PATH --client PATH --out DIR [--dataset ZIP] [--quick]\n", argv[0]);
    return 2;
  }
  try {
    return tp0::bench::run(*options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench: %s\n", error.what());
    return 1;
  }
}
