#!/usr/bin/env bash
# How long a user waits in Docker: from `make docker-compose-up`, on a system whose images
# are built, to the last agency's `consulta_ganadores`, in three consecutive parts:
#   containers  until the last container has started (make's image check, the network,
#               creating and starting the containers)
#   delay       until the first client program logs: the rest of x-client-start's wait
#   round       until the last consulta_ganadores: the lottery itself, and the
#               CLI_WINNERS_LOGDELAY its clients wait before they log their winners
# The agencies are .data/agency-K.csv as they stand (`make data` fills them, from the course's
# data set when .data/dataset.zip is there). Each run ends with `make docker-compose-down`.
# Usage: scripts/time-docker-round.sh [runs, default 3]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]?$ ]] || { echo "usage: $0 [runs, 1 to 99]" >&2; exit 2; }
agencies=$(grep -c '^  client[0-9]*:$' docker-compose-dev.yaml)
[ "$agencies" -gt 0 ] || { echo "$0: docker-compose-dev.yaml has no clients" >&2; exit 1; }
grep -q 'SERVER_MODE=lottery' docker-compose-dev.yaml ||
  { echo "$0: docker-compose-dev.yaml does not run the lottery (exercises 7 and 8)" >&2; exit 1; }

nanoseconds() { date -d "$1" +%s%N; }  # <RFC 3339 time>
seconds() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }
# The Docker timestamp of container $1's first log line containing $2.
logged_at() { docker logs -t "$1" 2>&1 | grep -F -m1 -- "$2" | cut -d' ' -f1; }

make --no-print-directory docker-image data AGENCIES="$agencies" > /dev/null 2>&1 ||
  { echo "$0: make docker-image data failed; run it to see why" >&2; exit 1; }
bets=0
for ((id = 1; id <= agencies; id++)); do bets=$((bets + $(grep -c . ".data/agency-$id.csv"))); done
make --no-print-directory docker-compose-down > /dev/null 2>&1 || true
for ((run = 1; run <= runs; run++)); do
  clicked=$(date +%s%N)
  make --no-print-directory docker-compose-up > /dev/null 2>&1
  last_started=0 first_program=0 last_answer=0
  for ((id = 1; id <= agencies; id++)); do
    code=$(timeout 300 docker wait "client$id")
    [ "$code" = 0 ] || { echo "$0: client$id exited with code $code" >&2; exit 1; }
    started=$(nanoseconds "$(docker inspect -f '{{.State.StartedAt}}' "client$id")")
    program=$(nanoseconds "$(logged_at "client$id" 'action: config')")
    answer=$(nanoseconds "$(logged_at "client$id" 'action: consulta_ganadores | result: success')")
    [ "$started" -le "$last_started" ] || last_started=$started
    [ "$first_program" != 0 ] && [ "$program" -ge "$first_program" ] || first_program=$program
    [ "$answer" -le "$last_answer" ] || last_answer=$answer
  done
  make --no-print-directory docker-compose-down > /dev/null 2>&1
  echo "run $run: $agencies agencies, $bets bets: $(seconds $((last_answer - clicked))) s from make docker-compose-up" \
    "to the last consulta_ganadores = containers $(seconds $((last_started - clicked))) s" \
    "+ delay $(seconds $((first_program - last_started))) s + round $(seconds $((last_answer - first_program))) s"
done
