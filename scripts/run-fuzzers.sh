#!/usr/bin/env bash
# Builds the libFuzzer fuzzers (fuzz/) with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for a bounded time on a scratch copy of its
# seed corpus (fuzz/corpus/ is never written). Any crash or broken property fails the
# run, naming the fuzzer and the saved input: add that input to fuzz/corpus/<name>/ as
# regression-<what> once fixed, and the replay tests keep checking it.
# Usage: scripts/run-fuzzers.sh [seconds-per-fuzzer]   (default 30)
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-30}
build=build/fuzz
targets=(frame_reader message_decoder csv_reader agency_file)

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTP0_FUZZ=ON -DTP0_BUILD_TESTS=OFF -DTP0_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

# Inputs longer than a target can use only slow it down: a frame body is at most 8,188
# bytes; the frame reader gets a few frames' worth.
max_len_of() {
  case $1 in
    frame_reader) echo 20000 ;;
    *) echo 8192 ;;
  esac
}

failed=()
for name in "${targets[@]}"; do
  corpus=$build/corpus/$name
  artifacts=$build/artifacts/$name
  log=$build/$name.log
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp fuzz/corpus/"$name"/* "$corpus"/
  if "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len="$(max_len_of "$name")" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "$corpus" > "$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz $name: $runs inputs in ${seconds} s, $coverage, corpus grew to $(find "$corpus" -type f | wc -l) inputs"
  else
    echo "fuzz $name: FAILED, input saved in $artifacts/" >&2
    tail -40 "$log" >&2
    failed+=("$name")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
