#!/usr/bin/env bash
# make profile: where the CPU goes in the benchmark's rounds. Builds Release with frame
# pointers (so perf can walk the stacks) into build/profile, records `tp0_bench --quick`
# with perf, and writes docs/profile.txt: the CPU of the server and client processes by
# program, then by function (self time) and by function with what it calls (children).
# The course's data set is found by scripts/find-dataset.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
build=build/profile
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTP0_BUILD_TESTS=OFF -DTP0_BUILD_BENCH=ON \
  -DCMAKE_CXX_FLAGS=-fno-omit-frame-pointer >/dev/null
cmake --build "$build" -j"$(nproc)" --target server client tp0_bench >/dev/null

dataset=()
zip=$(bash scripts/find-dataset.sh)
[ -z "$zip" ] || dataset=(--dataset "$zip")

perf record --quiet -F 2000 -g -o "$build/perf.data" -- \
  "$build/bench/tp0_bench" --server "$build/server/server" --client "$build/client/client" \
  --out "$build/bench" "${dataset[@]}" --quick > "$build/bench.txt"

# Each view goes to a file first: under pipefail, `head` closing a pipe from perf or grep
# early would fail the script.
report() {
  perf report -i "$build/perf.data" --comm server,client --percentage relative --stdio -g none "$@" \
    > "$build/report.txt" 2>/dev/null
  grep -v -e '^#' -e '^$' "$build/report.txt"
}
{
  echo "# make profile, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: perf over tp0_bench --quick"
  echo "# (the rounds and the floor of every quick set); percentages of the server's and clients' samples"
  echo
  echo "## by program and by code: program, kernel, C library and loader"
  report --no-children --sort comm,dso > "$build/view.txt"
  head -12 "$build/view.txt"
  echo
  echo "## by function, self time"
  report --no-children --sort comm,sym > "$build/view.txt"
  head -40 "$build/view.txt"
  echo
  echo "## by function, with what it calls"
  report --children --sort comm,sym > "$build/view.txt"
  grep -v -e '__libc_start' -e '\] main$' -e '\] _start$' "$build/view.txt" | sed -n '1,40p'
} > docs/profile.txt
echo "profile: written to docs/profile.txt (perf data in $build/perf.data)"
