# shellcheck shell=bash
# Helpers for the Docker end-to-end checks, which drive the project as the course's suite
# does: a checkout of an exercise's branch, its own build and compose commands (Compose
# v2), and one `docker compose logs -f` per run whose stream every wait and assertion reads.
# Sourced by the check scripts.
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

# The suite's way into an exercise: a clone of branch <branch> of <origin> (a repository
# made by make_origin.sh), reset with `git checkout . && git clean -fd`. The checks run in
# it, `project`; what they write besides (build output, the log stream) goes to `scratch`.
project=""
scratch=""
checkout_branch() {  # <origin> <branch>
  scratch=$(mktemp -d /tmp/tp0-e2e-XXXXXX)
  project=$scratch/checkout
  git clone --quiet --branch "$2" "$1" "$project"
  (cd "$project" && git checkout --quiet . && git clean -fdq)
}

compose() { (cd "$project" && docker compose -f docker-compose-dev.yaml "$@"); }

# The suite's build commands, run from the checkout's root. Where the images were made
# without Debian's mirror (docker/build-images.sh), compiling starts from the same local
# toolchain image as they did.
build_images() {
  local build_args=()
  if docker image inspect tp0-toolchain:latest > /dev/null 2>&1; then
    build_args=(--build-arg TOOLCHAIN_IMAGE=tp0-toolchain:latest)
  fi
  local program
  for program in server client; do
    (cd "$project" && docker build "${build_args[@]}" -f "./$program/Dockerfile" -t "$program:latest" .) \
      > "$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log"; return 1; }
  done
}

# `docker compose logs -f`, in a process of its own, into the stream every wait reads.
follower=""
follow_logs() {
  (cd "$project" && exec docker compose -f docker-compose-dev.yaml logs -f) > "$scratch/stream.log" 2>&1 &
  follower=$!
}
stop_following() {
  [ -n "$follower" ] || return 0
  kill "$follower" 2> /dev/null || true
  wait "$follower" 2> /dev/null || true
  follower=""
}

# Removes every container, network and round volume a previous step may have left.
reset_docker() {
  stop_following
  if [ -f "$project/docker-compose-dev.yaml" ]; then
    compose stop -t 1 > /dev/null 2>&1 || true
    compose down -v --remove-orphans > /dev/null 2>&1 || true
  fi
  local clients
  mapfile -t clients < <(docker ps -aq --filter name='^client[0-9]+$')
  docker rm -f server "${clients[@]}" > /dev/null 2>&1 || true
  docker network rm tp0_testing_net > /dev/null 2>&1 || true
}

cleanup_project() {
  [ -n "$scratch" ] || return 0
  reset_docker
  rm -rf "$scratch"
}

# generate <clients>: the compose file for the checkout's exercise.
generate() { (cd "$project" && bash generar-compose.sh docker-compose-dev.yaml "$1"); }

# `up -d`, then the log stream, started once `up -d` has returned, as the suite starts it.
up() {
  compose up -d > "$scratch/up.log" 2>&1 || { cat "$scratch/up.log"; return 1; }
  follow_logs
}

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

# The stream as read so far, and the lines in it of one container (prefix removed).
stream() {
  [ -f "$scratch/stream.log" ] || return 0
  local content
  content=$(cat "$scratch/stream.log"; echo .)
  content=${content%.}
  # Whole lines only: the follower may be in the middle of writing the last one.
  if [[ $content != *$'\n' ]]; then
    if [[ $content == *$'\n'* ]]; then content=${content%$'\n'*}$'\n'; else content=""; fi
  fi
  printf '%s' "$content"
}
lines_of() { stream | sed -n "s/^$1 *| //p"; }
count_lines() { lines_of "$1" | grep -cF -- "$2" || true; }
following() { [ -n "$follower" ] && kill -0 "$follower" 2> /dev/null; }

# Polls until the command "$@" succeeds; gives up when the stream has ended without it, or
# after kWait seconds.
wait_until() {
  local deadline=$((SECONDS + kWait))
  until "$@"; do
    if ! following || [ $SECONDS -ge $deadline ]; then
      "$@" && return 0
      note "gave up waiting for: $*; the stream's last lines:"
      stream | tail -20
      return 1
    fi
    sleep 0.2
  done
}
# grep -q reads a process substitution, never a pipe: under pipefail, a writer still
# writing when grep -q exits at its match would fail the pipeline (status 141).
stream_has() { grep -qF -- "$1" <(stream); }
stream_until() { stream | awk -v text="$1" '{ print } index($0, text) { exit }'; }  # <text>
has_lines() { [ "$(count_lines "$1" "$2")" -ge "${3:-1}" ]; }  # <container> <text> [count]

# Waits until container $1 has logged $3 (default 1) lines containing $2.
wait_for_lines() { wait_until has_lines "$@"; }

# The exit code of container $1 as the stream reports it: `<name> exited with code N`.
stream_has_exit() { grep -qE -- "$1 exited with code [0-9]+" <(stream); }
exit_code_of() {
  wait_until stream_has_exit "$1" > /dev/null || return 1
  stream | sed -nE "s/.*$1 exited with code ([0-9]+).*/\1/p" | head -1
}

expect_exit_zero() {  # <container> <what>
  local code
  code=$(exit_code_of "$1") || code="(no exit in the log stream)"
  if [ "$code" = 0 ]; then
    pass "$2: $1 exited with code 0"
  else
    fail "$2: $1 exited with code $code"
    stream | grep -n "exited with code" | cat -A
  fi
}

expect_no_fail_lines() {  # <container> <what>
  if grep -q 'result: fail' <(lines_of "$1"); then
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

# The limits generar-compose.sh gives each kind of container, in bytes and processes.
# shellcheck disable=SC2034  # read by the scripts that source this one
readonly kServerMemory=$((512 << 20)) kServerPids=128 \
  kClientMemory=$((64 << 20)) kClientPids=16

# hardening_of <container>: what Docker applies to it, one line: dropped and added
# capabilities, read-only root, security options, memory, memory with swap, process limit,
# log driver, its max-size and max-file.
hardening_of() {
  docker inspect -f '{{json .HostConfig.CapDrop}} {{json .HostConfig.CapAdd}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.SecurityOpt}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}} {{index .HostConfig.LogConfig.Config "max-file"}}' "$1" 2>&1
}
# What the first process of a running container is: its user, its effective and bounding
# capabilities, whether it may gain privileges, and whether its root is mounted read-only.
# Docker's processes are this host's, so their /proc is read here. Not with `docker exec`:
# runc starts the command inside the container's process limit, and its own threads take
# more than the netcat check's 8 leave (`read init-p: connection reset by peer`).
process_facts_of() {
  local pid
  pid=$(docker inspect -f '{{.State.Pid}}' "$1" 2>&1) || { echo "$pid"; return 0; }
  grep -E "^(Uid|CapEff|CapBnd|NoNewPrivs):" "/proc/$pid/status" 2>&1 | tr -s "[:space:]" " "
  echo
  awk '$5 == "/" { options = $6 } END { split(options, first, ","); print "root mounted " first[1] }' \
    "/proc/$pid/mountinfo" 2>&1
}
readonly kUnprivilegedProcess=$'Uid: 10001 10001 10001 10001 CapEff: 0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1 \nroot mounted ro'

# expect_hardened <container> <what> <memory bytes> <process limit> [running]: Docker
# applies the compose file's hardening to the container: no capabilities, no new
# privileges, a read-only root, its limits, logs rotated at 10m, 3 files; and, if it is
# running, its first process is uid 10001 with no capabilities, and its root is mounted read-only.
expect_hardened() {
  local name=$1 what=$2 memory=$3 pids=$4 facts expected
  facts=$(hardening_of "$name")
  expected="[\"ALL\"] null true [\"no-new-privileges:true\"] $memory $memory $pids json-file 10m 3"
  if [ "$facts" = "$expected" ]; then
    pass "$what: $name has no capabilities, no new privileges, a read-only root, its limits and rotated logs"
  else
    fail "$what: $name's hardening is '$facts', expected '$expected'"
  fi
  [ "${5:-}" = running ] || return 0
  facts=$(process_facts_of "$name")
  if [ "$facts" = "$kUnprivilegedProcess" ]; then
    pass "$what: $name's process runs as uid 10001 with no capabilities, on a read-only root"
  else
    fail "$what: $name's process: $(tr '\n' ';' <<< "$facts")"
  fi
}
