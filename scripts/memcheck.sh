#!/usr/bin/env bash
# Runs one lottery round on 127.0.0.1 with the server (process mode, so its forked
# children too) and every client under valgrind's memcheck, and fails on any memory
# error or definite leak in any of those processes.
# Usage: scripts/memcheck.sh [--build-only | --built] [build-dir]   (default build/memcheck:
# Debug, no sanitizers, which valgrind cannot run alongside)
#   --build-only: builds the programs and plays no round; --built: plays it with the
#   programs as already built (tools.memcheck builds beside other tests, then plays alone)
set -euo pipefail

cd "$(dirname "$0")/.."
build_step=build
case ${1:-} in
  --build-only) build_step=only; shift ;;
  --built) build_step=skip; shift ;;
esac
build_dir=$(realpath -m "${1:-build/memcheck}")
agencies=3
rows=300

if [ "$build_step" != skip ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DTP0_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target server client >/dev/null
fi
[ "$build_step" != only ] || exit 0

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
valgrind=(valgrind --quiet --error-exitcode=99 --leak-check=full
  "--errors-for-leak-kinds=definite,indirect" --log-file="$work/valgrind-%p.log")

# Deterministic agency files: every 50th bet chose the winning number.
for id in $(seq 1 "$agencies"); do
  for i in $(seq 1 "$rows"); do
    number=$(( i % 50 == 0 ? 7574 : (i * 37 + id) % 7000 ))
    printf 'Ana María,Núñez,%d,1990-01-%02d,%d\r\n' $((id * 1000000 + i)) $((1 + i % 28)) "$number"
  done > "$work/agency-$id.csv"
done
winners=$(( rows / 50 ))
# The round's certificates where both programs look by default, under their working
# directory: the round runs with TLS, as it does by default.
bash scripts/make-certs.sh "$work/.data/tls" "$agencies" > /dev/null

port=$(( 20000 + RANDOM % 20000 ))
(cd "$work" && SERVER_IP=127.0.0.1 SERVER_PORT=$port SERVER_CONCURRENCY=process \
  SERVER_AGENCIES=$agencies STORAGE_FILEPATH="$work/bets.csv" LOGGING_LEVEL=DEBUG \
  exec "${valgrind[@]}" "$build_dir/server/server" > "$work/server.log" 2>&1) &
server=$!

clients=()
for id in $(seq 1 "$agencies"); do
  (cd "$work" && CLI_ID=$id CLI_SERVER_ADDRESS=127.0.0.1:$port CLI_DATA_FILE="$work/agency-$id.csv" \
    CLI_BATCH_MAXAMOUNT=40 CLI_LOG_LEVEL=DEBUG \
    exec "${valgrind[@]}" "$build_dir/client/client" > "$work/client-$id.log" 2>&1) &
  clients+=($!)
done

failed=0
for id in $(seq 1 "$agencies"); do
  code=0
  wait "${clients[$((id - 1))]}" || code=$?
  if [ "$code" -ne 0 ] || ! grep -q "cant_ganadores: $winners" "$work/client-$id.log"; then
    echo "memcheck: client $id exited with $code" >&2
    cat "$work/client-$id.log" >&2
    failed=1
  fi
done
kill -TERM "$server"
code=0
wait "$server" || code=$?
if [ "$code" -ne 0 ]; then
  echo "memcheck: server exited with $code" >&2
  cat "$work/server.log" >&2
  failed=1
fi

# One log per process valgrind ran: the server, its children, the clients. With
# --quiet, a log stays empty unless valgrind had something to report.
processes=0
for log in "$work"/valgrind-*.log; do
  processes=$((processes + 1))
  if [ -s "$log" ]; then
    echo "memcheck: valgrind reported on $(basename "$log"):" >&2
    cat "$log" >&2
    failed=1
  fi
done
stored=$(wc -l < "$work/bets.csv")
echo "memcheck: $processes processes under valgrind, $stored bets stored, $([ $failed -eq 0 ] && echo clean || echo FAILED)"
exit "$failed"
