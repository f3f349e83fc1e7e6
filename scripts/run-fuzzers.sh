#!/usr/bin/env bash
# Builds the libFuzzer fuzzers (fuzz/) with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for a bounded time on a scratch copy of its
# seed corpus (fuzz/corpus/ is never written). Any crash or broken property fails the
# run, naming the fuzzer and the saved input: add that input to fuzz/corpus/<name>/ as
# regression-<what> once fixed, and the replay tests keep checking it.
# Usage: scripts/run-fuzzers.sh [--build-only | --built] [seconds-per-fuzzer [fuzzer...]]
#   (default 30 seconds; fuzzers: frame_reader message_decoder csv_reader agency_file)
#   --build-only: builds every fuzzer and runs none; --built: runs them as already built,
#   so that several runs at once (the tools.fuzz.* tests) do not build into one folder
set -euo pipefail

cd "$(dirname "$0")/.."
all_targets=(frame_reader message_decoder csv_reader agency_file)
usage() {
  echo "usage: $0 [--build-only | --built] [seconds-per-fuzzer [fuzzer...]]   (seconds: a whole" \
    "number, at least 1; fuzzers: ${all_targets[*]})" >&2
  exit 2
}
build_step=build
case ${1:-} in
  --build-only) build_step=only; shift ;;
  --built) build_step=skip; shift ;;
esac
seconds=${1:-30}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
shift $(( $# > 0 ? 1 : 0 ))
targets=("${@:-${all_targets[@]}}")
for name in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $name "* ]] || usage
done
build=build/fuzz

if [ "$build_step" != skip ]; then
  cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTP0_FUZZ=ON -DTP0_BUILD_TESTS=OFF -DTP0_WARNINGS_AS_ERRORS=ON >/dev/null
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
fi
[ "$build_step" != only ] || exit 0

# Longer inputs than a target can use only slow it down. The frame reader gets a few
# frames' worth (its whole input must fit in a socket buffer); the decoder one frame body
# (kMaxBodyBytes); the CSV readers a few hundred rows.
max_len_of() {
  case $1 in
    frame_reader) echo 20000 ;;
    message_decoder) echo 8188 ;;
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
  seeds=$(find "$corpus" -type f | wc -l)
  started=$SECONDS
  status=0
  "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len="$(max_len_of "$name")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
  echo "fuzz $name: ${runs:-?} runs in $((SECONDS - started)) s, ${coverage:-no coverage reported}," \
    "corpus $seeds -> $(find "$corpus" -type f | wc -l) inputs"
  if [ "$status" -ne 0 ]; then
    echo "fuzz $name: FAILED (exit $status); log $log; input(s):" >&2
    find "$artifacts" -type f -printf '  %p\n' >&2
    grep -m1 -A12 -E '^==[0-9]+==|^property failed|runtime error|^terminate called' "$log" >&2 || tail -20 "$log" >&2
    failed+=("$name")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
