#!/usr/bin/env bash
# Runs clang-tidy, with the checked-in .clang-tidy files, over every .cc file of the project
# that the build compiles, one at a time per core. Fails on any finding.
# Usage: scripts/run-clang-tidy.sh [build-dir]   (default build/tidy)
set -euo pipefail

cd "$(dirname "$0")/.."
build=${1:-build/tidy}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null

all=$(sed -n 's/^ *"file": "\(.*\.cc\)",*$/\1/p' "$build/compile_commands.json" | grep -v '/build/' | sort -u)
# The tests' files, the longest, first, and one file per clang-tidy: the last to finish are
# short ones, so that no core idles at the end while one long file finishes. One clang-tidy
# per core: ctest gives tools.clang_tidy all of its slots.
files=$(grep -F "$PWD/tests/" <<< "$all" || true; grep -vF "$PWD/tests/" <<< "$all")
count=$(wc -l <<< "$files")
log=$build/clang-tidy.log
if xargs -P "$(nproc)" -n 1 clang-tidy-22 -p "$build" --quiet <<< "$files" > "$log" 2>&1; then
  echo "clang-tidy: $count files, no findings"
else
  grep -E 'warning:|error:' "$log" | sort -u >&2 || cat "$log" >&2
  echo "clang-tidy: $count files, $(grep -cE 'warning:|error:' "$log") findings" >&2
  exit 1
fi
