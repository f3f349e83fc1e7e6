#!/usr/bin/env bash
# make bench: builds Release, runs bench/ (the lottery round against the floor of the same
# bytes through loopback, both concurrency settings, over the course's data set when it is
# found and generated sets up to 1,000,000 bets and 100 agencies, then 1,000 and 10,000
# agencies of 100 bets each; the course's data set, 1,000,000 bets and the many agencies
# with mutual TLS beside plain text, their runs in turns), prints the table, the TLS
# comparison, the waiting room's figures and the targets, and writes them with the plot to
# docs/benchmark.txt and docs/benchmark.png. The certificates are made once, into
# build/bench/tls, and kept for the next runs.
# Usage: scripts/bench.sh [--quick | --agencies-only] [--against REVISION]
#   --quick: sets of at most 100,000 bets and 100 agencies, for a try
#   --agencies-only: the 1,000 and 10,000 agencies alone; the table is left in
#   build/bench/table.txt, and docs/ untouched
#   --against REVISION: the programs of REVISION (a commit of this repository, built into
#   build/baseline/REVISION) play every round of the default durability too, in turns with this
#   tree's, and a last table compares them; the table is left in build/bench/table.txt
# The course's data set is found by scripts/find-dataset.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
usage="usage: $0 [--quick | --agencies-only] [--against REVISION]"
flags=()
baseline=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick | --agencies-only) [ ${#flags[@]} -eq 0 ] || { echo "$usage" >&2; exit 2; }; flags=("$1") ;;
    --against) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; baseline=("$2"); shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DTP0_BUILD_TESTS=OFF -DTP0_BUILD_BENCH=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target server client tp0_bench tp0_load_generator >/dev/null
mkdir -p build/bench docs
# Renamed over bin/, never copied over it: a bin/server that is running keeps its file.
bash scripts/install-programs.sh build/release

# The baseline's sources are exported, not checked out: the working tree stays as it is.
baseline_flags=()
if [ ${#baseline[@]} -gt 0 ]; then
  revision=$(git rev-parse --verify --quiet "${baseline[0]}^{commit}") ||
    { echo "bench: ${baseline[0]} is not a commit of this repository" >&2; exit 2; }
  # One folder per revision: git archive dates every file at its commit, so the objects of
  # a newer revision built in the same folder would look newer than an older one's sources.
  base=build/baseline/$revision
  rm -rf "$base/src" && mkdir -p "$base/src"
  git archive "$revision" | tar -x -C "$base/src"
  cmake -S "$base/src" -B "$base/release" -DCMAKE_BUILD_TYPE=Release -DTP0_BUILD_TESTS=OFF >/dev/null
  cmake --build "$base/release" -j"$(nproc)" --target server client >/dev/null
  baseline_flags=(--baseline-server "$base/release/server/server"
    --baseline-client "$base/release/client/client")
  echo "bench: the baseline is ${baseline[0]} ($revision)" >&2
fi

dataset=()
zip=$(bash scripts/find-dataset.sh)
[ -z "$zip" ] || dataset=(--dataset "$zip")
[ ${#dataset[@]} -gt 0 ] || echo "bench: the course's dataset.zip was not found; only generated sets run" >&2

# The load average says how much of the machine, shared or not, the rounds had.
{
  echo "# make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
    "wall and floor: medians"
  build/release/bench/tp0_bench --server bin/server --client bin/client --out build/bench \
    "${dataset[@]}" "${flags[@]}" "${baseline_flags[@]}"
  echo
  echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee build/bench/table.txt
if [ "${flags[*]}" = --agencies-only ] || [ ${#baseline[@]} -gt 0 ]; then
  echo "bench: table written to build/bench/table.txt (docs/ are for the whole benchmark, without a baseline)"
  exit 0
fi
gnuplot -e "data='build/bench'; out='build/bench/benchmark.png'" scripts/bench-plot.gnuplot
cp build/bench/table.txt docs/benchmark.txt
cp build/bench/benchmark.png docs/benchmark.png
echo "bench: table and plot written to docs/benchmark.txt and docs/benchmark.png"
