#!/usr/bin/env bash
# Checks of the Docker tooling that need no running containers: generar-compose.sh's
# arguments and output, the tracked docker-compose-dev.yaml, and `make exercise-branches`.
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
      [ "$(grep -c '^    <<: \*client-start$' "$file")" = "$clients" ] || problems+=("not every client takes x-client-start")
      # Compose prints the services' entrypoints one level deeper than the setting's own.
      [ "$(grep -c "^      - trap 'exit 0' TERM; sleep 2 & wait \\\$\\\$!; exec /usr/local/bin/client\$" <<< "$config")" = "$clients" ] ||
        problems+=("Compose does not read a 2-second start for every client")
      # Exercise 8 (main): the lottery's clients log their winners 1 s after the answer.
      [ "$(grep -c -- '- CLI_WINNERS_LOGDELAY=1s$' "$file")" = "$clients" ] || problems+=("not every client logs its winners 1 s late")
    fi
    grep -q 'container_name: server$' "$file" && grep -q 'image: server:latest' "$file" || problems+=("no server container")
    grep -q '^    restart: on-failure$' <<< "$config" || problems+=("the server is not restarted when it crashes")
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

check_dockerfiles_agree
check_bad_arguments
check_output
check_branches
finish
