#!/usr/bin/env bash
# Runs the whole lottery natively on 127.0.0.1: bin/server and one bin/client per agency
# file in .data/, each in a scratch directory, and prints their logs when every agency is
# done. Usage: scripts/run-local.sh [concurrency: process|sequential]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
concurrency=${1:-process}
port=${TP0_PORT:-12345}
work=$(mktemp -d /tmp/tp0-run-XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
}
trap cleanup EXIT

shopt -s nullglob
files=("$root"/.data/agency-*.csv)
if [ "${#files[@]}" -eq 0 ]; then
  echo "run-local: no agency files in .data/ (run: make data)" >&2
  exit 1
fi

mkdir -p "$work/server"
(cd "$work/server" && SERVER_IP=127.0.0.1 SERVER_PORT=$port SERVER_CONCURRENCY=$concurrency \
  SERVER_AGENCIES=${#files[@]} exec "$root/bin/server" > "$work/server.log" 2>&1) &
server_pid=$!

client_pids=()
for file in "${files[@]}"; do
  id=$(basename "$file" .csv)
  id=${id#agency-}
  mkdir -p "$work/client$id"
  (cd "$work/client$id" && CLI_ID=$id CLI_SERVER_ADDRESS=127.0.0.1:$port CLI_DATA_FILE=$file \
    exec "$root/bin/client" > "$work/client$id.log" 2>&1) &
  client_pids+=($!)
done

status=0
for pid in "${client_pids[@]}"; do wait "$pid" || status=1; done
cleanup
server_pid=""

for log in "$work"/server.log "$work"/client*.log; do
  name=$(basename "$log" .log)
  sed "s/^/$name | /" "$log"
done
echo "run-local: bets file $work/server/bets.csv ($(wc -l < "$work/server/bets.csv") bets)"
exit $status
