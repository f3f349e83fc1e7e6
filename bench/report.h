#pragma once

#include <string>
#include <vector>

#include "bench/rows.h"

namespace tp0::bench {

// The benchmark's table on stdout, one row as soon as it is measured.
void print_header();
void print(const Row& row);
// The row's first columns and the first line of `error` in the table; all of it on stderr.
void print_failure(const AgencyFiles& files, const std::string& server, bool tls, const std::string& error);

// After the table: each TLS row against its plain twin (the time ratio, and what TLS
// added per bet and per connection), the waiting room in the rounds of many agencies
// (and what one child per waiting agency would have needed), and the targets met or not.
void print_tls_comparison(const std::vector<Row>& rows);
void print_waiting_room(const std::vector<Row>& rows);
// Each row against the same round played by the baseline's programs, in turns in this run.
void print_baseline_comparison(const std::vector<Row>& rows, const std::vector<Row>& baseline);
// Returns false when a target was missed.
bool print_targets(const std::vector<Row>& rows);

// One file per plot series: x, then the sequential, process and floor times in ms, from
// the rows of the default durability with TLS off.
void write_series(const std::vector<Row>& rows, const std::string& series, const std::string& path);

// The server column: its concurrency, and "+fsync" when it acknowledges after fdatasync.
std::string server_label(const std::string& concurrency, const std::string& durability);

}  // namespace tp0::bench
