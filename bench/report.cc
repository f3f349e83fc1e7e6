#include "bench/report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

namespace tp0::bench {
namespace {

// The targets of docs/benchmark.md.
constexpr double kCourseTlsRatioTarget = 1.3;
constexpr double kManyAgenciesWallTargetMs = 15'000;
constexpr double kServerProcessTargetMib = 16;
constexpr double kServerTotalTargetMib = 1024;
constexpr std::uint32_t kManyAgencies = 10'000;

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }
double ms(std::chrono::microseconds duration) { return static_cast<double>(duration.count()) / 1000.0; }
const char* on_off(bool tls) { return tls ? "on" : "off"; }

// The row measured like `row` but with TLS off.
const Row* plain_twin(const std::vector<Row>& rows, const Row& row) {
  for (const auto& other : rows) {
    if (!other.tls && other.set == row.set && other.concurrency == row.concurrency &&
        other.durability == row.durability) {
      return &other;
    }
  }
  return nullptr;
}

// The row of the course's data set (`course`) or of `agencies` generated ones, default
// durability; nullptr when it was not measured.
const Row* find_row(const std::vector<Row>& rows, bool course, std::uint32_t agencies,
                    const std::string& concurrency, bool tls) {
  for (const auto& row : rows) {
    if ((row.set->bets == 0) == course && (course || row.files.paths.size() == agencies) &&
        row.concurrency == concurrency && row.durability == "process" && row.tls == tls) {
      return &row;
    }
  }
  return nullptr;
}

const char* verdict(bool met) { return met ? "met" : "MISSED"; }

}  // namespace

std::string server_label(const std::string& concurrency, const std::string& durability) {
  return durability == "machine" ? concurrency + "+fsync" : concurrency;
}

void print_header() {
  std::printf("%-16s %8s %9s %-16s %4s %5s %10s %10s %8s %6s %8s %10s %16s %10s %8s %8s %7s %8s\n", "data",
              "agencies", "bets", "server", "tls", "runs", "wall ms", "bets/s", "floor ms", "ratio", "cpu ms",
              "server MiB", "server total MiB", "client MiB", "batches", "rtt us", "conns", "draw ms");
}

void print(const Row& row) {
  char floor[16] = "-";
  char ratio[16] = "-";
  if (row.floor_ms > 0) {
    std::snprintf(floor, sizeof floor, "%.1f", row.floor_ms);
    std::snprintf(ratio, sizeof ratio, "%.1f", row.wall_ms / row.floor_ms);
  }
  std::printf(
      "%-16s %8zu %9zu %-16s %4s %5d %10.1f %10.0f %8s %6s %8.1f %10.1f %16.1f %10.1f %8zu %8.0f %7zu %8.1f\n",
      row.files.label.c_str(), row.files.paths.size(), row.files.bets,
      server_label(row.concurrency, row.durability).c_str(), on_off(row.tls), row.runs, row.wall_ms,
      static_cast<double>(row.files.bets) / (row.wall_ms / 1000.0), floor, ratio, row.cpu_ms,
      mib(row.round.server_peak_rss_kib), mib(row.round.server_memory.total_kib),
      mib(row.round.client_peak_rss_kib), row.round.batches,
      static_cast<double>(row.round.mean_round_trip.count()), row.round.connections,
      ms(row.round.draw_to_last_winners));
  std::fflush(stdout);
}

void print_failure(const AgencyFiles& files, const std::string& server, bool tls, const std::string& error) {
  std::printf("%-16s %8zu %9zu %-16s %4s failed: %s\n", files.label.c_str(), files.paths.size(), files.bets,
              server.c_str(), on_off(tls), error.substr(0, error.find('\n')).c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "bench: %s, %s, tls %s: %s\n", files.label.c_str(), server.c_str(), on_off(tls),
               error.c_str());
}

void print_tls_comparison(const std::vector<Row>& rows) {
  std::printf("\n# TLS against plain text: each pair measured in turns in this run\n");
  std::printf("%-16s %8s %9s %-10s %9s %9s %9s %8s %9s %9s %9s %12s %15s %17s\n", "data", "agencies", "bets",
              "server", "plain ms", "tls ms", "tls/plain", "+us/bet", "+us/conn", "plain cpu", "tls cpu",
              "+cpu us/conn", "server MiB p/t", "total MiB p/t");
  for (const auto& row : rows) {
    if (!row.tls) continue;
    const Row* plain = plain_twin(rows, row);
    if (plain == nullptr) continue;
    const double added_ms = row.wall_ms - plain->wall_ms;
    const auto connections = static_cast<double>(std::max<std::size_t>(row.round.connections, 1));
    char memory[32];
    char total[32];
    std::snprintf(memory, sizeof memory, "%.1f/%.1f", mib(plain->round.server_peak_rss_kib),
                  mib(row.round.server_peak_rss_kib));
    std::snprintf(total, sizeof total, "%.1f/%.1f", mib(plain->round.server_memory.total_kib),
                  mib(row.round.server_memory.total_kib));
    std::printf("%-16s %8zu %9zu %-10s %9.1f %9.1f %9.2f %8.2f %9.0f %9.1f %9.1f %12.0f %15s %17s\n",
                row.files.label.c_str(), row.files.paths.size(), row.files.bets, row.concurrency.c_str(),
                plain->wall_ms, row.wall_ms, row.wall_ms / plain->wall_ms,
                added_ms * 1000.0 / static_cast<double>(row.files.bets), added_ms * 1000.0 / connections,
                plain->cpu_ms, row.cpu_ms, (row.cpu_ms - plain->cpu_ms) * 1000.0 / connections, memory,
                total);
  }
}

void print_baseline_comparison(const std::vector<Row>& rows, const std::vector<Row>& baseline) {
  std::printf("\n# Against the baseline's programs: each pair measured in turns in this run\n");
  std::printf("%-16s %8s %9s %-10s %4s %9s %9s %9s %9s %9s %9s %15s\n", "data", "agencies", "bets", "server",
              "tls", "base ms", "now ms", "now/base", "base cpu", "now cpu", "cpu n/b", "server MiB b/n");
  for (const auto& row : rows) {
    const auto twin = std::find_if(baseline.begin(), baseline.end(), [&](const Row& other) {
      return other.set == row.set && other.concurrency == row.concurrency &&
             other.durability == row.durability && other.tls == row.tls;
    });
    if (twin == baseline.end()) continue;
    char memory[32];
    std::snprintf(memory, sizeof memory, "%.1f/%.1f", mib(twin->round.server_peak_rss_kib),
                  mib(row.round.server_peak_rss_kib));
    std::printf("%-16s %8zu %9zu %-10s %4s %9.1f %9.1f %9.2f %9.1f %9.1f %9.2f %15s\n",
                row.files.label.c_str(), row.files.paths.size(), row.files.bets, row.concurrency.c_str(),
                on_off(row.tls), twin->wall_ms, row.wall_ms, row.wall_ms / twin->wall_ms, twin->cpu_ms,
                row.cpu_ms, row.cpu_ms / twin->cpu_ms, memory);
  }
}

void print_waiting_room(const std::vector<Row>& rows) {
  std::printf(
      "\n# The waiting room, many agencies, process mode, default SERVER_MAX_CHILDREN (MiB; draw: from\n"
      "# sorteo to the last winners answer; per agency: one child kept per waiting agency instead,\n"
      "# each adding a serving child's private pages)\n");
  std::printf("%-16s %8s %4s %9s %8s %7s %7s %9s %9s %9s %8s %8s %9s %10s\n", "data", "agencies", "tls",
              "wall ms", "draw ms", "conns", "refused", "child RSS", "child PSS", "child own", "room RSS",
              "room PSS", "total", "per agency");
  for (const auto& row : rows) {
    if (!row.set->many_agencies || row.concurrency != "process") continue;
    const TreeMemory& memory = row.round.server_memory;
    const double per_agency = mib(memory.child_private_kib) * static_cast<double>(row.files.paths.size());
    std::printf("%-16s %8zu %4s %9.1f %8.1f %7zu %7zu %9.2f %9.2f %9.2f %8.2f %8.2f %9.1f %10.0f\n",
                row.files.label.c_str(), row.files.paths.size(), on_off(row.tls), row.wall_ms,
                ms(row.round.draw_to_last_winners), row.round.connections, row.round.refused,
                mib(memory.child_rss_kib), mib(memory.child_pss_kib), mib(memory.child_private_kib),
                mib(memory.room_rss_kib), mib(memory.room_pss_kib), mib(memory.total_kib), per_agency);
  }
}

bool print_targets(const std::vector<Row>& rows) {
  std::printf("\n# Targets\n");
  bool all_met = true;
  const auto course_tls = find_row(rows, true, 5, "process", true);
  const auto course_plain = find_row(rows, true, 5, "process", false);
  if (course_tls != nullptr && course_plain != nullptr) {
    const double ratio = course_tls->wall_ms / course_plain->wall_ms;
    all_met = all_met && ratio <= kCourseTlsRatioTarget;
    std::printf("course data set, process: TLS takes %.2fx the time of plain text (at most %.1fx): %s\n",
                ratio, kCourseTlsRatioTarget, verdict(ratio <= kCourseTlsRatioTarget));
  } else {
    std::printf("course data set, process, TLS and plain: not measured\n");
  }
  const Row* many = find_row(rows, false, kManyAgencies, "process", true);
  if (many == nullptr) {
    std::printf("%u agencies with TLS: not measured\n", kManyAgencies);
    return all_met;
  }
  const Row& row = *many;
  const double largest = mib(row.round.server_peak_rss_kib);
  const double total = mib(row.round.server_memory.total_kib);
  const bool fast = row.wall_ms < kManyAgenciesWallTargetMs;
  const bool small = largest <= kServerProcessTargetMib;
  const bool bounded = total < kServerTotalTargetMib;
  all_met = all_met && fast && small && bounded;
  std::printf("%u agencies x 100 bets, TLS, default settings: %.1f s (under %.0f s): %s\n", kManyAgencies,
              row.wall_ms / 1000.0, kManyAgenciesWallTargetMs / 1000.0, verdict(fast));
  std::printf("  largest server process %.1f MiB (at most %.0f MiB): %s\n", largest, kServerProcessTargetMib,
              verdict(small));
  std::printf("  server's processes together %.1f MiB (under %.0f MiB): %s\n", total, kServerTotalTargetMib,
              verdict(bounded));
  return all_met;
}

void write_series(const std::vector<Row>& rows, const std::string& series, const std::string& path) {
  std::map<std::size_t, std::map<std::string, double>> points;
  for (const auto& row : rows) {
    if (row.durability != "process" || row.tls) continue;  // the plot shows plain text, as the floor
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

}  // namespace tp0::bench
