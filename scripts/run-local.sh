#!/usr/bin/env bash
# Runs the whole lottery natively on 127.0.0.1: bin/server and one bin/client per agency
# file in .data/, each in a scratch directory, and prints their logs when every agency is
# done. The certificates of their mutual TLS come from .data/tls, where the ones missing are
# made first (scripts/make-certs.sh). Usage: scripts/run-local.sh [concurrency: process|sequential]
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

ids=()
for file in "${files[@]}"; do
  id=$(basename "$file" .csv)
  ids+=("${id#agency-}")
done

# The first id once more: make-certs.sh reads a lone number as a count, and a repeated id
# is made once.
tls=$root/.data/tls
bash "$root/scripts/make-certs.sh" "$tls" "${ids[@]}" "${ids[0]}"
keys=("$tls/server/server.key")
for id in "${ids[@]}"; do keys+=("$tls/agency-$id/agency.key"); done
for key in "${keys[@]}"; do
  if [ ! -r "$key" ]; then
    echo "run-local: $key cannot be read by $(id -un) (the Docker flow gives the keys to the containers' user, uid 10001): run as root, or make them again with: scripts/make-certs.sh --new-ca .data/tls ${ids[*]} ${ids[0]}" >&2
    exit 1
  fi
done

mkdir -p "$work/server"
(cd "$work/server" && SERVER_IP=127.0.0.1 SERVER_PORT=$port SERVER_CONCURRENCY=$concurrency \
  SERVER_AGENCIES=${#files[@]} SERVER_MAX_INTRODUCTIONS_PER_NETWORK=${#files[@]} SERVER_TLS_CERT=$tls/server/server.crt SERVER_TLS_KEY=$tls/server/server.key \
  SERVER_TLS_CA=$tls/server/ca.crt exec "$root/bin/server" > "$work/server.log" 2>&1) &
server_pid=$!

client_pids=()
for id in "${ids[@]}"; do
  mkdir -p "$work/client$id"
  (cd "$work/client$id" && CLI_ID=$id CLI_SERVER_ADDRESS=127.0.0.1:$port CLI_DATA_FILE=$root/.data/agency-$id.csv \
    CLI_TLS_CERT=$tls/agency-$id/agency.crt CLI_TLS_KEY=$tls/agency-$id/agency.key CLI_TLS_CA=$tls/agency-$id/ca.crt \
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
