#!/usr/bin/env bash
# Prints the absolute path of the course's dataset.zip, the first found of TP0_DATASET,
# ../shared/data/dataset.zip and .data/dataset.zip (from the repository's root), or
# nothing when there is none: its users open it from other folders. Used by bench.sh and
# profile.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
for candidate in "${TP0_DATASET:-}" ../shared/data/dataset.zip .data/dataset.zip; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then
    realpath "$candidate"
    exit 0
  fi
done
