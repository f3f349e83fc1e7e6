# Helpers for the Docker end-to-end checks: a scratch copy of the project's run-time files,
# compose runs in it, waits on log lines and container exits, and assertions. Sourced by
# the check scripts; every check runs against the real images server:latest, client:latest.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly kWait=90   # seconds any single wait may take before the check fails
failures=0
passes=0

note() { echo "[docker-e2e] $*"; }
pass() { passes=$((passes + 1)); note "ok: $*"; }
fail() { failures=$((failures + 1)); note "FAILED: $*"; }
finish() {
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}

# A scratch project holding what the suite touches: the scripts, the config files, .data/.
# `from` is a checkout to copy them from (default: this one).
make_project() {
  local from=${1:-$repo}
  project=$(mktemp -d /tmp/tp0-e2e-XXXXXX)
  (cd "$from" && cp -r --parents generar-compose.sh validar-echo-server.sh docker \
    client/config.yaml server/config.ini scripts/prepare-data.sh .data/README.md "$project")
}

compose() { bash "$project/docker/compose.sh" -f "$project/docker-compose-dev.yaml" "$@"; }

# Removes every container and network a previous step may have left.
reset_docker() {
  if [ -f "$project/docker-compose-dev.yaml" ]; then
    compose down --remove-orphans -t 1 > /dev/null 2>&1 || true
  fi
  docker rm -f server $(docker ps -aq --filter name='^client[0-9]+$') > /dev/null 2>&1 || true
  docker network rm tp0_testing_net > /dev/null 2>&1 || true
}

cleanup_project() {
  reset_docker
  rm -rf "$project"
}

# generate <clients>: the compose file for the project's exercise (TP0_EXERCISE if set).
generate() { (cd "$project" && ./generar-compose.sh docker-compose-dev.yaml "$1"); }

up() { compose up -d > "$project/up.log" 2>&1 || { cat "$project/up.log"; return 1; }; }

# Rewrites `key: value` (YAML) or `KEY = value` (INI) lines in the project's config files.
set_client_config() {  # <section.key> <value>
  local section=${1%%.*} key=${1#*.}
  awk -v section="$section" -v key="$key" -v value="$2" '
    /^[^ ]/ { current = $1; sub(":", "", current) }
    current == section && $1 == key ":" { print "  " key ": " value; next }
    { print }' "$project/client/config.yaml" > "$project/client/config.yaml.new"
  mv "$project/client/config.yaml.new" "$project/client/config.yaml"
}
set_server_config() {  # <KEY> <value>
  sed -i "s/^$1 *=.*/$1 = $2/" "$project/server/config.ini"
}

lines_of() { docker logs "$1" 2>&1; }
count_lines() { lines_of "$1" | grep -cF -- "$2" || true; }

running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2> /dev/null)" = true ]; }

# Waits until container $1 has logged $3 (default 1) lines containing $2; gives up when the
# container has stopped without them, or after kWait seconds.
wait_for_lines() {
  local container=$1 text=$2 count=${3:-1} deadline=$((SECONDS + kWait))
  while [ "$(count_lines "$container" "$text")" -lt "$count" ]; do
    local stopped=0
    running "$container" || stopped=1
    if [ $stopped = 1 ] && [ "$(count_lines "$container" "$text")" -lt "$count" ] || [ $SECONDS -ge $deadline ]; then
      note "gave up waiting for $count x '$text' from $container; it logged:"
      lines_of "$container" | tail -20
      return 1
    fi
    sleep 0.2
  done
}

# Waits for container $1 to exit and prints its exit code.
exit_code_of() { timeout "$kWait" docker wait "$1"; }

expect_exit_zero() {  # <container> <what>
  local code
  code=$(exit_code_of "$1") || code="(still running)"
  if [ "$code" = 0 ]; then pass "$2: $1 exited with code 0"; else fail "$2: $1 exited with code $code"; fi
}

expect_no_fail_lines() {  # <container> <what>
  if lines_of "$1" | grep -q 'result: fail'; then
    fail "$2: $1 logged a failure:"
    lines_of "$1" | grep 'result: fail' | head -5
  else
    pass "$2: $1 logged no failure"
  fi
}

# The number of winners (bets on 7574) in an agency file.
winners_in() { tr -d '\r' < "$1" | grep -c ',7574$' || true; }

# write_agency_file <path> <rows> <winners>: rows like the suite's (`A,B,<document>,...`),
# the first <winners> of them on 7574, the rest on other numbers.
write_agency_file() {
  awk -v rows="$2" -v winners="$3" 'BEGIN {
    for (i = 0; i < rows; i++) {
      printf "Nombre%d,Apellido%d,%08d,2000-01-01,%d\n", i, i, i + 1, i < winners ? 7574 : i % 7000
    }
  }' > "$1"
}

# The value of `key: value` in a log line.
field_of() { sed -n "s/.*| $1: \([^|]*\).*/\1/p" | sed 's/ *$//'; }

# The datasets' location, as the native tests find it.
find_dataset() {
  local candidate
  for candidate in "${TP0_DATASET:-}" "$repo/../shared/data/dataset.zip" "$repo/.data/dataset.zip"; do
    if [ -n "$candidate" ] && [ -f "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
