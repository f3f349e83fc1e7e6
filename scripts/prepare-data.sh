#!/usr/bin/env bash
# Makes sure .data/ holds agency-1.csv ... agency-N.csv, leaving every file already there as
# it is (it may be yours, or the course suite's):
#   1. when .data/dataset.zip (the course's archive) is there, files missing from .data/
#      are extracted from it;
#   2. any agency file still missing is generated, deterministically, with a few winners
#      (number 7574) among its bets.
# Usage: scripts/prepare-data.sh [agencies (default 5)] [bets per generated file (default 2000)]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data"
agencies=${1:-5}
rows=${2:-2000}
if ! [[ $agencies =~ ^[0-9]+$ && $rows =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [agencies] [bets-per-agency]   (whole numbers)" >&2
  exit 2
fi

if [ -f "$data/dataset.zip" ]; then
  unzip -q -n "$data/dataset.zip" 'agency-*.csv' -d "$data"
fi

generated=0
for ((agency = 1; agency <= agencies; agency++)); do
  [ -e "$data/agency-$agency.csv" ] && continue
  generated=$((generated + 1))
  awk -v agency="$agency" -v rows="$rows" 'BEGIN {
    split("Santiago Lionel,Tiago Nicolás,Ana María,Joaquín,Zoë", first, ",");
    split("Lorca,Rivera,Pérez,Núñez,Paz", last, ",");
    for (i = 0; i < rows; i++) {
      number = (i * 7919 + agency * 31) % 10000;
      if (number == 7574) number = 7575;
      if (i % 500 == agency % 500) number = 7574;
      printf "%s,%s,%d,19%02d-%02d-%02d,%d\r\n", first[i % 5 + 1], last[int(i / 5) % 5 + 1],
             agency * 10000000 + i, 50 + i % 50, 1 + i % 12, 1 + i % 28, number;
    }
  }' > "$data/agency-$agency.csv"
done
echo "prepare-data: .data/ holds agency files 1 to $agencies ($generated generated now)"
