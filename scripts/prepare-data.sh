#!/usr/bin/env bash
# Fills .data/ with agency-1.csv ... agency-N.csv.
#   .data/dataset.zip present (the course's archive): its files are extracted.
#   otherwise: N deterministic generated files (default 5), each with a few winners (7574).
# Usage: scripts/prepare-data.sh [agencies] [bets-per-agency]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data"
agencies=${1:-5}
rows=${2:-2000}

if [ -f "$data/dataset.zip" ]; then
  unzip -q -o "$data/dataset.zip" -d "$data"
  echo "prepare-data: extracted $(ls "$data"/agency-*.csv | wc -l) agency files from .data/dataset.zip"
  exit 0
fi

for agency in $(seq 1 "$agencies"); do
  awk -v agency="$agency" -v rows="$rows" 'BEGIN {
    split("Santiago Lionel,Tiago Nicolás,Ana María,Joaquín,Zoë", first, ",");
    split("Lorca,Rivera,Pérez,Núñez,Paz", last, ",");
    for (i = 0; i < rows; i++) {
      number = (i * 7919 + agency * 31) % 10000;
      if (number == 7574) number = 7575;
      if (i % 500 == agency) number = 7574;
      printf "%s,%s,%d,19%02d-%02d-%02d,%d\r\n", first[i % 5 + 1], last[int(i / 5) % 5 + 1],
             agency * 10000000 + i, 50 + i % 50, 1 + i % 12, 1 + i % 28, number;
    }
  }' > "$data/agency-$agency.csv"
done
echo "prepare-data: generated $agencies agency files of $rows bets in .data/"
