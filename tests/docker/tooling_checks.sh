#!/usr/bin/env bash
# Checks of the Docker tooling: generar-compose.sh's arguments and output, the tracked
# docker-compose-dev.yaml, `make exercise-branches`, and the compose file's certificate
# service, run alone with the images built, and what the containers then see of its files.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
unset TP0_EXERCISE

scratch=$(mktemp -d /tmp/tp0-tooling-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

check_bad_arguments() {
  local args
  for args in "" "out.yaml" "out.yaml abc" "out.yaml -1" "out.yaml 1.5" "out.yaml 3 extra" "out.yaml 9999999"; do
    local code=0
    # shellcheck disable=SC2086  # each case is a word list on purpose
    (cd "$scratch" && "$repo/generar-compose.sh" $args > stdout 2> stderr) || code=$?
    if [ "$code" = 2 ] && grep -q '^usage: ' "$scratch/stderr" && [ ! -s "$scratch/stdout" ] && [ ! -e "$scratch/out.yaml" ]; then
      pass "generar-compose.sh '$args': usage on stderr, exit 2, nothing written"
    else
      fail "generar-compose.sh '$args': exit $code, stderr '$(cat "$scratch/stderr")'"
    fi
  done
  local code=0
  TP0_EXERCISE=9 "$repo/generar-compose.sh" "$scratch/out.yaml" 1 2> "$scratch/stderr" || code=$?
  if [ "$code" = 2 ] && grep -q "TP0_EXERCISE" "$scratch/stderr"; then pass "an unknown exercise is refused naming TP0_EXERCISE"; else fail "TP0_EXERCISE=9: exit $code"; fi
}

# service_block <file> <service>: the lines of one service of a generated file.
service_block() {
  awk -v name="  $2:" '$0 == name { inside = 1; next } inside && /^  [^ #]/ { exit } inside && /^[^ ]/ { exit } inside { print }' "$1"
}

# tls_promises <file> <count>: prints what a lottery file gets wrong about its certificates,
# and fails if anything: the one-shot service `certs` makes them for agencies 1 … N, the
# server and each client wait for it to succeed, and each mounts only its own folder,
# read-only, where the programs' defaults look.
tls_promises() {
  local file=$1 count=$2 problems=() block
  block=$(service_block "$file" certs)
  grep -qx '    image: server:latest' <<< "$block" || problems+=("certs: not the server's image")
  grep -qx '    user: root' <<< "$block" || problems+=("certs: not run as root")
  grep -qxF "    entrypoint: [\"/usr/local/bin/certs-service.sh\", \"$count\"]" <<< "$block" || problems+=("certs: not for $count agencies")
  grep -qx '      - ./.data:/tp0/.data' <<< "$block" || problems+=("certs: .data not mounted")
  grep -qx '    network_mode: none' <<< "$block" || problems+=("certs: on a network")
  grep -q 'restart:' <<< "$block" && problems+=("certs: restarted")
  local name folder id
  for ((id = 0; id <= count; id++)); do
    if [ "$id" = 0 ]; then name=server folder=server; else name=client$id folder=agency-$id; fi
    block=$(service_block "$file" "$name")
    [ "$(grep -c '\.data/tls' <<< "$block")" = 1 ] &&
      grep -qx "      - ./.data/tls/$folder:/tp0/.data/tls/$folder:ro" <<< "$block" || problems+=("$name: does not mount only .data/tls/$folder, read-only")
    grep -A1 -x '      certs:' <<< "$block" | grep -qx '        condition: service_completed_successfully' ||
      problems+=("$name: does not wait for certs to succeed")
  done
  [ "${#problems[@]}" = 0 ] || { echo "${problems[*]}"; return 1; }
}

# hardening_promises <config> <count>: prints what a file, as Compose reads it (`docker compose
# config`), gets wrong about its containers' hardening, and fails if anything: every service
# drops every capability, gains none, has a read-only root, memory (swap included) and
# process limits, and rotated logs; only the certificate service adds capabilities back, the
# three it needs; the server keeps its round on an anonymous volume, where STORAGE_FILEPATH
# points.
hardening_promises() {
  local config=$1 count=$2 problems=() name block limits
  local names=(server)
  for ((id = 1; id <= count; id++)); do names+=("client$id"); done
  if grep -qx '  certs:' <<< "$config"; then names+=(certs); fi
  for name in "${names[@]}"; do
    block=$(service_block <(echo "$config") "$name")
    case $name in
      server) limits='536870912 128' ;;
      certs) limits='134217728 32' ;;
      *) limits='67108864 16' ;;
    esac
    local memory=${limits% *} pids=${limits#* }
    [ "$(grep -A1 -x '    cap_drop:' <<< "$block" | tail -1)" = '      - ALL' ] || problems+=("$name: keeps capabilities")
    local added
    added=$(grep -A3 -x '    cap_add:' <<< "$block" | tail -n +2 | grep '^      - ' | tr -d ' -' | tr '\n' ' ' || true)
    if [ "$name" = certs ]; then
      [ "$added" = 'CHOWN DAC_OVERRIDE FOWNER ' ] || problems+=("certs: adds back '$added', not CHOWN DAC_OVERRIDE FOWNER")
      grep -q '^    cap_add:' <<< "$block" && [ "$(grep -A4 -x '    cap_add:' <<< "$block" | grep -c '^      - ')" = 3 ] || problems+=("certs: more capabilities than three")
    else
      grep -q '^    cap_add:' <<< "$block" && problems+=("$name: adds capabilities back")
    fi
    grep -A1 -x '    security_opt:' <<< "$block" | grep -qx '      - no-new-privileges:true' || problems+=("$name: may gain privileges")
    grep -qx '    read_only: true' <<< "$block" || problems+=("$name: a writable root")
    grep -qx "    mem_limit: \"$memory\"" <<< "$block" && grep -qx "    memswap_limit: \"$memory\"" <<< "$block" ||
      problems+=("$name: not $memory bytes of memory, swap included")
    grep -qx "    pids_limit: $pids" <<< "$block" || problems+=("$name: not $pids processes")
    grep -A4 -x '    logging:' <<< "$block" | tr -d ' ' | tr '\n' ' ' | grep -qx 'logging: driver:json-file options: max-file:"3" max-size:10m ' ||
      problems+=("$name: logs not rotated at 10m, 3 files")
  done
  block=$(service_block <(echo "$config") server)
  grep -A2 -x '      - type: volume' <<< "$block" | tr -d ' ' | tr '\n' ' ' | grep -qx -- '-type:volume target:/tp0/round volume:{} ' ||
    problems+=("server: its round is not on an anonymous volume at /tp0/round")
  grep -qx '      STORAGE_FILEPATH: /tp0/round/bets.csv' <<< "$block" || problems+=("server: STORAGE_FILEPATH not in /tp0/round")
  [ "${#problems[@]}" = 0 ] || { echo "${problems[*]}"; return 1; }
}

# Parses the generated file with Compose itself and checks every promise of the contract.
check_output() {
  local clients
  for clients in 0 1 3 12; do
    local file="$scratch/compose-$clients.yaml" problems=()
    "$repo/generar-compose.sh" "$file" "$clients"
    local config
    config=$(cd "$scratch" && docker compose -f "$file" config 2>&1) || problems+=("compose rejects it: $config")
    grep -qx 'name: tp0' "$file" || problems+=("no 'name: tp0'")
    grep -q 'subnet: 172.25.125.0/24' <<< "$config" || problems+=("no subnet 172.25.125.0/24")
    grep -q "SERVER_AGENCIES=$clients\$" "$file" || problems+=("server not told $clients agencies")
    grep -qiE 'LOG_LEVEL|LOGGING_LEVEL' "$file" && problems+=("a log-level variable in the file")
    [ "$(grep -c '^  client[0-9]*:$' "$file")" = "$clients" ] || problems+=("not $clients client services")
    if [ "$clients" -gt 0 ]; then
      grep -q '^x-client-start: &client-start$' "$file" || problems+=("no x-client-start setting")
      [ "$(grep -c '^    <<: \[\*hardening, \*client-start\]$' "$file")" = "$clients" ] || problems+=("not every client takes x-client-start")
      # Compose prints the services' entrypoints one level deeper than the setting's own.
      [ "$(grep -c "^      - trap 'exit 0' TERM; sleep 2 & wait \\\$\\\$!; exec /usr/local/bin/client\$" <<< "$config")" = "$clients" ] ||
        problems+=("Compose does not read a 2-second start for every client")
      # Exercise 8 (main): the lottery's clients log their winners 1 s after the answer.
      [ "$(grep -c -- '- CLI_WINNERS_LOGDELAY=1s$' "$file")" = "$clients" ] || problems+=("not every client logs its winners 1 s late")
    fi
    grep -q 'container_name: server$' "$file" && grep -q 'image: server:latest' "$file" || problems+=("no server container")
    local tls_problems
    tls_problems=$(tls_promises "$file" "$clients") || problems+=("$tls_problems")
    grep -q '^    restart: on-failure$' <<< "$config" || problems+=("the server is not restarted when it crashes")
    local hardening_problems
    hardening_problems=$(hardening_promises "$config" "$clients") || problems+=("$hardening_problems")
    for ((id = 1; id <= clients; id++)); do
      grep -q "container_name: client$id\$" "$file" && grep -q "CLI_ID=$id\$" "$file" &&
        grep -q "\./\.data/agency-$id\.csv:" "$file" || problems+=("client$id incomplete")
    done
    if [ "${#problems[@]}" = 0 ]; then pass "$clients clients: output as the contract says"; else fail "$clients clients: ${problems[*]}"; fi
  done
  "$repo/generar-compose.sh" "$scratch/tracked.yaml" 5
  if cmp -s "$scratch/tracked.yaml" "$repo/docker-compose-dev.yaml"; then
    pass "docker-compose-dev.yaml is the generator's output for 5 agencies"
  else
    fail "docker-compose-dev.yaml differs from ./generar-compose.sh docker-compose-dev.yaml 5"
  fi
  for exercise in 1 2 3 4 5 6 7 8; do TP0_EXERCISE=$exercise "$repo/generar-compose.sh" "$scratch/ej$exercise.yaml" 5; done
  local echo_files=() lottery_files=()
  for exercise in 1 2 3 4; do grep -qiE 'tls|certs' "$scratch/ej$exercise.yaml" && echo_files+=("ej$exercise"); done
  for exercise in 5 6 7 8; do
    tls_promises "$scratch/ej$exercise.yaml" 5 > /dev/null || lottery_files+=("ej$exercise")
  done
  if [ "${#echo_files[@]}" = 0 ]; then pass "the echo exercises (1-4) have no certificate service and mount no certificates"; else fail "an echo exercise mentions TLS or certs: ${echo_files[*]}"; fi
  local unhardened=()
  for exercise in 1 2 3 4 5 6 7 8; do
    hardening_promises "$(cd "$scratch" && docker compose -f "ej$exercise.yaml" config 2>&1)" 5 > /dev/null || unhardened+=("ej$exercise")
  done
  if [ "${#unhardened[@]}" = 0 ]; then pass "every exercise's file hardens every container"; else fail "not every container is hardened in ${unhardened[*]}"; fi
  if [ "${#lottery_files[@]}" = 0 ]; then pass "the lottery exercises (5-8) make their certificates and mount them"; else fail "the certificate service or mounts are wrong in ${lottery_files[*]}"; fi
  if grep -q 'SERVER_MODE=echo' "$scratch/ej3.yaml" && grep -q 'CLI_MODE=bet' "$scratch/ej5.yaml" &&
    grep -q 'CLI_MODE=batch' "$scratch/ej6.yaml" && grep -q 'SERVER_CONCURRENCY=sequential' "$scratch/ej7.yaml" &&
    grep -q 'SERVER_CONCURRENCY=process' "$scratch/ej8.yaml"; then
    pass "TP0_EXERCISE selects each exercise's modes"
  else
    fail "TP0_EXERCISE does not select the exercises' modes"
  fi
}

# Branches made in a copy of this checkout, and made again there: one commit each on main,
# pinning only the exercise, generating what TP0_EXERCISE gives on main. (The exercises'
# checks run from these branches.)
check_branches() {
  bash "$repo/tests/docker/make_origin.sh" "$scratch/clone"
  make -C "$scratch/clone" --no-print-directory exercise-branches > /dev/null
  for exercise in 1 2 3 4 5 6 7 8; do
    local branch="ej$exercise" problems=()
    [ "$(git -C "$scratch/clone" rev-list --count "main..$branch")" = 1 ] || problems+=("not one commit on main")
    [ "$(git -C "$scratch/clone" rev-parse "$branch^")" = "$(git -C "$scratch/clone" rev-parse main)" ] || problems+=("not based on main")
    local changed
    changed=$(git -C "$scratch/clone" diff --name-only main "$branch" | grep -vxE 'docker/exercise|docker-compose-dev.yaml' || true)
    [ -z "$changed" ] || problems+=("also changes $changed")
    git -C "$scratch/clone" show "$branch:docker-compose-dev.yaml" > "$scratch/branch.yaml"
    cmp -s "$scratch/branch.yaml" "$scratch/ej$exercise.yaml" || problems+=("its compose file differs from TP0_EXERCISE=$exercise on main")
    if [ "${#problems[@]}" = 0 ]; then pass "$branch pins exercise $exercise and nothing else"; else fail "$branch: ${problems[*]}"; fi
  done
}

# The contract asks for two Dockerfiles; they are one text but for the program they build.
check_dockerfiles_agree() {
  local server client
  server=$(sed -n 's/^ARG PROGRAM=//p' "$repo/server/Dockerfile")
  client=$(sed -n 's/^ARG PROGRAM=//p' "$repo/client/Dockerfile")
  if [ "$server" = server ] && [ "$client" = client ] &&
    cmp -s <(grep -v '^ARG PROGRAM=' "$repo/server/Dockerfile") <(grep -v '^ARG PROGRAM=' "$repo/client/Dockerfile"); then
    pass "server/Dockerfile and client/Dockerfile differ only in ARG PROGRAM, server and client"
  else
    fail "server/Dockerfile and client/Dockerfile are not one text but for ARG PROGRAM=server and =client ('$server', '$client')"
  fi
}

# Every file under a folder with its owner, mode and digest, one per line.
tree_of() {
  (cd "$1" && find . -type f | LC_ALL=C sort | while read -r file; do
    echo "$(stat -c '%u:%g %a' "$file") $file $(sha256sum < "$file" | cut -c1-64)"
  done)
}

# The certificate service of exercise 8's file, run alone (`docker compose up certs`) in a
# project of its own, twice; then what a client's and the server's containers see of it.
check_certificate_service() {
  local project=$scratch/certs-project
  mkdir -p "$project/.data" "$project/client" "$project/server"
  cp "$repo/client/config.yaml" "$project/client/"
  cp "$repo/server/config.ini" "$project/server/"
  : > "$project/.data/agency-2.csv"
  TP0_EXERCISE=8 "$repo/generar-compose.sh" "$project/docker-compose-dev.yaml" 3
  # The host's owner of .data/, which every file but the programs' keys goes to; as root,
  # some other user, so that the hand-over shows.
  local owner
  owner=$(id -u):$(id -g)
  if [ "$(id -u)" = 0 ]; then
    owner=12345:12345
    chown "$owner" "$project/.data"
  fi
  local compose=(docker compose -f "$project/docker-compose-dev.yaml")
  "${compose[@]}" down --remove-orphans > /dev/null 2>&1 || true

  local code
  "${compose[@]}" up certs > "$scratch/certs-up.log" 2>&1 || true
  code=$(docker inspect certs --format '{{.State.ExitCode}}' 2> /dev/null || echo "(no container)")
  local tls=$project/.data/tls problems=()
  [ "$code" = 0 ] || problems+=("exit code $code: $(tail -3 "$scratch/certs-up.log")")
  grep -q 'certs  | make-certs: .data/tls: CA made; server made; agencies: 3 made, 0 kept' "$scratch/certs-up.log" ||
    problems+=("no summary line")
  grep -q 'result: fail' "$scratch/certs-up.log" && problems+=("a 'result: fail' line")
  local expected
  expected=$(
    for folder in agency-1 agency-2 agency-3; do
      echo "$owner 644 ./$folder/agency.crt"
      echo "10001:10001 600 ./$folder/agency.key"
      echo "$owner 644 ./$folder/ca.crt"
    done
    echo "$owner 644 ./ca.crt"
    echo "$owner 600 ./ca/ca.key"
    echo "$owner 644 ./server/ca.crt"
    echo "$owner 644 ./server/server.crt"
    echo "10001:10001 600 ./server/server.key"
  )
  [ "$(tree_of "$tls" | cut -d' ' -f1-3)" = "$expected" ] || problems+=("files, owners or modes: $(tree_of "$tls" | cut -d' ' -f1-3 | tr '\n' ';')")
  [ "$(stat -c '%u:%g %a' "$tls/ca")" = "$owner 700" ] || problems+=("the CA's folder is not $owner 0700")
  [ "$(openssl verify -CAfile "$tls/ca.crt" "$tls/agency-2/agency.crt" 2>&1)" = "$tls/agency-2/agency.crt: OK" ] ||
    problems+=("agency-2's certificate is not the CA's")
  local hardening expected_hardening
  hardening=$(docker inspect -f '{{.Config.User}} {{json .HostConfig.CapDrop}} {{json .HostConfig.CapAdd}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.SecurityOpt}} {{.HostConfig.NetworkMode}}' certs 2>&1)
  expected_hardening='root ["ALL"] ["CHOWN","DAC_OVERRIDE","FOWNER"] true ["no-new-privileges:true"] none'
  [ "$hardening" = "$expected_hardening" ] || problems+=("ran as '$hardening', not '$expected_hardening'")
  if [ "${#problems[@]}" = 0 ]; then
    pass "the certificate service, root with three capabilities on a read-only root, makes the certificates: the programs' keys theirs (uid 10001, 0600), the rest .data's owner's"
  else
    fail "the certificate service: ${problems[*]}"
  fi

  local before
  before=$(tree_of "$tls")
  "${compose[@]}" up certs > "$scratch/certs-up.log" 2>&1 || true
  if grep -q 'make-certs: .data/tls: CA kept; server kept; agencies: 0 made, 3 kept' "$scratch/certs-up.log" &&
    [ "$(tree_of "$tls")" = "$before" ]; then
    pass "the certificate service run again keeps every file as it was"
  else
    fail "the certificate service run again: $(tail -3 "$scratch/certs-up.log")"
  fi

  # Each with its own entrypoint, in place of the program, and without starting the others.
  local seen
  seen=$("${compose[@]}" run --rm --no-deps -T --entrypoint /bin/sh client2 -c \
    'id -u; ls -A /tp0/.data/tls; ls -A /tp0/.data/tls/agency-2; head -1 /tp0/.data/tls/agency-2/agency.key
     touch /tp0/.data/tls/agency-2/new 2> /dev/null || echo read-only' 2>&1) || true
  if [ "$seen" = $'10001\nagency-2\nagency.crt\nagency.key\nca.crt\n-----BEGIN PRIVATE KEY-----\nread-only' ]; then
    pass "client2's container sees only .data/tls/agency-2, read-only, and reads its key as uid 10001"
  else
    fail "client2's container sees: $(tr '\n' ';' <<< "$seen")"
  fi
  seen=$("${compose[@]}" run --rm --no-deps -T --entrypoint /bin/sh server -c \
    'id -u; ls -A /tp0/.data/tls; head -1 /tp0/.data/tls/server/server.key
     touch /tp0/.data/tls/server/new 2> /dev/null || echo read-only' 2>&1) || true
  if [ "$seen" = $'10001\nserver\n-----BEGIN PRIVATE KEY-----\nread-only' ]; then
    pass "the server's container sees only .data/tls/server, read-only, and reads its key as uid 10001"
  else
    fail "the server's container sees: $(tr '\n' ';' <<< "$seen")"
  fi

  "${compose[@]}" down > /dev/null 2>&1 || true
  if [ -z "$(docker ps -aq --filter name='^certs$')" ]; then
    pass "docker compose down removes the certificate service's container"
  else
    fail "the certs container is left after docker compose down"
  fi
}

check_dockerfiles_agree
check_bad_arguments
check_output
check_branches
check_certificate_service
finish
