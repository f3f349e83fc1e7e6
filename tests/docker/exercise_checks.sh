#!/usr/bin/env bash
# The course suite's checks for one exercise, run as the suite runs them: from a checkout of
# branch ej<exercise>, with its own build and Compose v2 commands, reading one
# `docker compose logs -f` stream per run.
# Usage: tests/docker/exercise_checks.sh <exercise 1-8> [origin]
#   origin: a repository made by make_origin.sh; without one, one is made from this checkout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# As graders run it: the branch alone selects the exercise, with the default start delay.
unset TP0_EXERCISE CLIENT_START_DELAY

exercise=$1
origin=${2:-}
if [ -z "$origin" ]; then
  origin_scratch=$(mktemp -d /tmp/tp0-origin-XXXXXX)
  origin=$origin_scratch/origin
  bash "$repo/tests/docker/make_origin.sh" "$origin"
fi
trap 'cleanup_project; rm -rf "${origin_scratch:-}"' EXIT
checkout_branch "$origin" "ej$exercise"
pinned=$(grep -v '^#' "$project/docker/exercise" | tr -d '[:space:]')
[ "$pinned" = "$exercise" ] || { fail "branch ej$exercise pins exercise $pinned"; finish; exit 1; }
reset_docker
build_images || { fail "the suite's docker build commands failed"; finish; exit 1; }

# Exercise 1: every client sends loop.amount messages and gets each one back.
check_echo_loops() {
  local clients amount
  for run in "1 5" "2 3" "5 2"; do
    read -r clients amount <<< "$run"
    set_client_config loop.amount "$amount"
    set_client_config loop.period '"100ms"'
    generate "$clients"
    up
    wait_for_lines server "action: accept_connections" || true
    expect_hardened server "$clients clients" "$kServerMemory" "$kServerPids" running
    expect_hardened client1 "$clients clients" "$kClientMemory" "$kClientPids"
    for ((id = 1; id <= clients; id++)); do
      wait_for_lines "client$id" "action: loop_finished | result: success | client_id: $id" || { fail "client$id did not finish"; continue; }
      # The server logged each message before echoing it, but its stream may run behind.
      wait_for_lines server "| msg: [CLIENT $id] Message N°$amount" || true
      local missing=0
      for ((k = 1; k <= amount; k++)); do
        [ "$(count_lines "client$id" "action: receive_message | result: success | client_id: $id | msg: [CLIENT $id] Message N°$k")" = 1 ] || missing=$((missing + 1))
        [ "$(count_lines server "| msg: [CLIENT $id] Message N°$k")" = 1 ] || missing=$((missing + 1))
      done
      [ "$(count_lines "client$id" "action: receive_message | result: success | client_id: $id |")" = "$amount" ] || missing=$((missing + 1))
      if [ "$missing" = 0 ]; then pass "$clients clients: client$id's $amount messages echoed, no more"; else fail "$clients clients: client$id: $missing message lines missing or extra"; fi
      expect_no_fail_lines "client$id" "$clients clients"
    done
    expect_no_fail_lines server "$clients clients"
    reset_docker
  done
}

# Exercise 2: configuration edits take effect without rebuilding the images.
check_config_edits() {
  set_client_config loop.amount 2
  set_client_config loop.period '"100ms"'
  set_client_config log.level DEBUG
  set_server_config SERVER_LISTEN_BACKLOG 8
  set_server_config LOGGING_LEVEL DEBUG
  generate 1
  up
  wait_for_lines client1 "action: loop_finished" || true
  local client_line server_line
  client_line="action: config | result: success | client_id: 1 | server_address: server:12345 | loop_amount: 2 | loop_period: 100ms | log_level: DEBUG"
  server_line="action: config | result: success | port: 12345 | listen_backlog: 8 | logging_level: DEBUG"
  if [ "$(count_lines client1 "$client_line")" = 1 ]; then pass "client config line shows the edited file"; else fail "client config line: $(lines_of client1 | grep 'action: config')"; fi
  if [ "$(count_lines server "$server_line")" = 1 ]; then pass "server config line shows the edited file"; else fail "server config line: $(lines_of server | grep 'action: config')"; fi
  reset_docker
}

# Waits until the container `server` listens on 12345 (0x3039) inside its network namespace.
wait_until_listening() {
  local deadline=$((SECONDS + kWait))
  until docker exec server sh -c "grep -q ':3039 [0-9A-F:]* 0A' /proc/net/tcp" 2> /dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

run_mock_server() {  # <shell command serving port 12345>
  docker network create --subnet 172.25.125.0/24 tp0_testing_net > /dev/null
  docker run -d --name server --network tp0_testing_net tp0-netcat:latest sh -c "$1" > /dev/null
  wait_until_listening
}

expect_validation() {  # <expected result> <what>
  local started=$SECONDS output
  output=$(cd "$project" && sh validar-echo-server.sh) || true
  local took=$((SECONDS - started))
  if [ "$output" = "action: test_echo_server | result: $1" ] && [ $took -le 15 ]; then
    pass "$2: '$output' in ${took}s"
  else
    fail "$2: printed '$output' in ${took}s, expected result: $1"
  fi
}

# The container validar-echo-server.sh runs, caught while its netcat waits for an answer
# that never comes (about 3 s): its user and limits as Docker holds them, and its process
# as it is. Run aside, it leaves what it saw in netcat-facts for report_netcat_container.
check_netcat_container() {
  local deadline=$((SECONDS + 15)) name=""
  until [ -n "$name" ] || [ $SECONDS -ge $deadline ]; do
    name=$(docker ps --filter ancestor=tp0-netcat:latest --format '{{.Names}}' | grep -vx server | head -1 || true)
    [ -n "$name" ] || sleep 0.1
  done
  [ -n "$name" ] || return 0
  {
    docker inspect -f '{{.Config.User}} {{json .HostConfig.CapDrop}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.SecurityOpt}} {{.HostConfig.PidsLimit}}' "$name" 2>&1
    process_facts_of "$name"
  } > "$scratch/netcat-facts"
}
report_netcat_container() {
  local facts
  facts=$(cat "$scratch/netcat-facts" 2> /dev/null || true)
  if [ "$facts" = '10001:10001 ["ALL"] true ["no-new-privileges:true"] 8'$'\n'"$kUnprivilegedProcess" ]; then
    pass "the netcat check's container runs as uid 10001, with no capabilities, on a read-only root"
  elif [ -z "$facts" ]; then
    fail "the netcat check's container was never seen running"
  else
    fail "the netcat check's container: $(tr '\n' ';' <<< "$facts")"
  fi
}

# Exercise 3: the netcat script against the real server, mocks, and no server.
check_netcat_script() {
  generate 0
  up
  wait_for_lines server "action: accept_connections | result: in_progress"
  expect_validation success "real echo server"
  if wait_for_lines server "action: receive_message | result: success"; then pass "server logged receive_message"; else fail "server logged no receive_message"; fi
  reset_docker
  run_mock_server 'mkfifo /tmp/loop; cat /tmp/loop | nc -l 12345 > /tmp/loop'
  expect_validation success "another echo server"
  reset_docker
  run_mock_server 'printf "something else\n" | nc -l 12345'
  expect_validation fail "a server answering something else"
  reset_docker
  run_mock_server 'nc -l 12345 > /dev/null'
  check_netcat_container &
  local watcher=$!
  expect_validation fail "a server that never answers"
  wait "$watcher" || true
  report_netcat_container
  reset_docker
  docker network create --subnet 172.25.125.0/24 tp0_testing_net > /dev/null
  expect_validation fail "no server on the network"
  reset_docker
  expect_validation fail "no network at all"
}

# Exercise 4: SIGTERM, however it comes, ends every container with code 0.
check_graceful_stops() {
  set_client_config loop.amount 500
  set_client_config loop.period '"150ms"'
  generate 1
  up
  wait_for_lines client1 "action: receive_message" 10
  expect_hardened client1 "a client mid-loop" "$kClientMemory" "$kClientPids" running
  docker stop -t 20 client1 > /dev/null
  expect_exit_zero client1 "docker stop client1 mid-loop"
  docker stop -t 10 server > /dev/null
  expect_exit_zero server "docker stop server after its client"
  reset_docker

  up
  wait_for_lines client1 "action: receive_message" 10
  docker stop -t 10 server > /dev/null
  expect_exit_zero server "docker stop server while a client runs"
  if wait_for_lines server "action: shutdown | result: success"; then pass "server logged its shutdown"; else fail "server did not log shutdown"; fi
  reset_docker

  generate 0
  up
  wait_for_lines server "action:" 2
  docker stop -t 10 server > /dev/null
  expect_exit_zero server "docker stop server with no clients"
  reset_docker

  generate 1
  up
  wait_for_lines client1 "action: receive_message" 10
  compose stop -t 10 > /dev/null 2>&1
  expect_exit_zero client1 "docker compose stop -t 10"
  expect_exit_zero server "docker compose stop -t 10"
  reset_docker
}

# Exercise 5: one bet from the environment, acknowledged and stored.
check_single_bet() {
  generate 1
  up
  expect_exit_zero client1 "single bet"
  local sent stored
  sent=$(lines_of client1 | grep "action: apuesta_enviada | result: success" || true)
  wait_for_lines server "action: apuesta_almacenada | result: success" || true
  stored=$(lines_of server | grep "action: apuesta_almacenada | result: success" || true)
  local dni
  dni=$(field_of dni <<< "$sent")
  if [ -n "$dni" ] && [ "$(field_of dni <<< "$stored")" = "$dni" ] && [ "$(field_of numero <<< "$stored")" = 7574 ]; then
    pass "apuesta_enviada and apuesta_almacenada for dni $dni"
  else
    fail "bet lines do not match: sent '$sent', stored '$stored'"
  fi
  reset_docker
}

# Exercise 6: batches from the agency file add up, every one but the last full.
check_batches() {
  local rows max_amount
  for run in "64 146" "99 64" "99 99"; do
    read -r rows max_amount <<< "$run"
    write_agency_file "$project/.data/agency-1.csv" "$rows" 0
    set_client_config batch.maxAmount "$max_amount"
    generate 1
    up
    expect_exit_zero client1 "$rows bets, maxAmount $max_amount"
    # As the suite counts: the batches the stream showed before the client's exit.
    local sizes total=0 short=0 count=0
    sizes=$(stream_until "client1 exited with code" | sed -n 's/^server *| //p' |
      grep "action: apuesta_recibida | result: success" | field_of cantidad)
    for size in $sizes; do
      count=$((count + 1))
      total=$((total + size))
      [ "$size" = "$max_amount" ] || short=$((short + 1))
    done
    local last=${sizes##*[[:space:]]}
    if [ "$total" = "$rows" ] && { [ "$short" = 0 ] || { [ "$short" = 1 ] && [ "$last" != "$max_amount" ]; }; }; then
      pass "$rows bets, maxAmount $max_amount: $count batches summing to $total, all full but the last"
    else
      fail "$rows bets, maxAmount $max_amount: batches ${sizes//$'\n'/ } sum to $total"
    fi
    expect_no_fail_lines server "$rows bets"
    reset_docker
  done
}

# The server's first line about its round, from Docker's log of the container.
round_line() { docker logs server 2>&1 | grep -m1 -o 'action: resume_round.*' || true; }

# The server, up after a `down`, started a round of its own: it found no bets, no agency
# finished, no draw.
expect_new_round() {  # <what>
  local line
  line=$(round_line)
  if [[ $line == *"| bets: 0 | agencies_finished: 0 | drawn: no |"* ]]; then
    pass "$1: the server started a new round"
  else
    fail "$1: the server did not start a new round: '$line'"
  fi
}

# The anonymous volume holding the server's round.
round_volume() {
  docker inspect -f '{{range .Mounts}}{{if eq .Destination "/tp0/round"}}{{.Type}} {{.Name}}{{end}}{{end}}' server 2> /dev/null
}

# Exercises 7 and 8: the whole lottery; every agency learns its own winners, after the draw.
run_lottery() {  # <what> <agencies> — agency files already in .data/
  local what=$1 agencies=$2
  generate "$agencies"
  up
  for ((id = 1; id <= agencies; id++)); do expect_exit_zero "client$id" "$what"; done
  expect_hardened server "$what" "$kServerMemory" "$kServerPids" running
  expect_hardened client1 "$what" "$kClientMemory" "$kClientPids"
  expect_new_round "$what"
  local server_log
  server_log=$(lines_of server)
  if [ "$(grep -c "action: sorteo" <<< "$server_log")" = 1 ]; then pass "$what: one draw"; else fail "$what: $(grep -c "action: sorteo" <<< "$server_log") draw lines"; fi
  # The suite's order, in the merged stream: every bet received before the draw, every
  # agency's answer after it.
  local draw_at last_bet_at first_answer_at
  draw_at=$(stream | grep -n "^server *| .*action: sorteo | result: success" | head -1 | cut -d: -f1)
  last_bet_at=$(stream | grep -n "action: apuesta_recibida" | tail -1 | cut -d: -f1)
  first_answer_at=$(stream | grep -n "action: consulta_ganadores" | head -1 | cut -d: -f1)
  if [ -n "$draw_at" ] && [ -n "$last_bet_at" ] && [ "$last_bet_at" -lt "$draw_at" ]; then pass "$what: every apuesta_recibida before sorteo in the stream"; else fail "$what: last apuesta_recibida at stream line $last_bet_at, sorteo at $draw_at"; fi
  if [ -n "$draw_at" ] && [ -n "$first_answer_at" ] && [ "$first_answer_at" -gt "$draw_at" ]; then pass "$what: every consulta_ganadores after sorteo in the stream"; else fail "$what: first consulta_ganadores at stream line $first_answer_at, sorteo at $draw_at"; fi
  local total=0 expected_total=0
  for size in $(grep "action: apuesta_recibida | result: success" <<< "$server_log" | field_of cantidad); do total=$((total + size)); done
  for ((id = 1; id <= agencies; id++)); do
    local file="$project/.data/agency-$id.csv" answer expected
    expected_total=$((expected_total + $(grep -c . "$file")))
    expected=$(winners_in "$file")
    answer=$(lines_of "client$id" | grep "action: consulta_ganadores | result: success" || true)
    if [ "$(field_of cant_ganadores <<< "$answer")" = "$expected" ]; then
      pass "$what: client$id got its $expected winners"
    else
      fail "$what: client$id answered '$answer', expected $expected winners"
    fi
    expect_no_fail_lines "client$id" "$what"
  done
  if [ "$total" = "$expected_total" ]; then pass "$what: server received all $total bets"; else fail "$what: server received $total of $expected_total bets"; fi
  expect_no_fail_lines server "$what"
  reset_docker
}

check_lottery() {
  rm -f "$project"/.data/agency-*.csv
  for id in 1 2 3; do write_agency_file "$project/.data/agency-$id.csv" $((100 * id + 7)) $((id - 1)); done
  run_lottery "3 agencies" 3
  rm -f "$project"/.data/agency-*.csv
  for id in 1 2 3 4 5; do write_agency_file "$project/.data/agency-$id.csv" $((400 + 37 * id)) $((id % 3 + 1)); done
  run_lottery "5 agencies" 5
  rm -f "$project"/.data/agency-*.csv
  local dataset
  if dataset=$(find_dataset); then
    unzip -q -o "$dataset" 'agency-*.csv' -d "$project/.data"
    run_lottery "course data set" 5
  elif [ "${CI:-}" = true ]; then
    fail "the course's data set is missing (looked at TP0_DATASET, ../shared/data, .data/)"
  else
    note "course data set not found: that run was left out"
  fi
}

# Exercise 8: the server's container killed in the middle of a round is started again by
# Docker (restart: on-failure) and resumes it; its clients reconnect, and every agency gets
# its winners with every bet stored once. The fifth agency starts only after the restart,
# so the kill certainly lands before the draw, while four agencies wait for it.
check_server_crash() {
  rm -f "$project"/.data/agency-*.csv
  local id
  for id in 1 2 3 4 5; do write_agency_file "$project/.data/agency-$id.csv" $((300 + 11 * id)) "$id"; done
  generate 5
  compose up -d server client1 client2 client3 client4 > "$scratch/up.log" 2>&1 || { cat "$scratch/up.log"; fail "up"; return; }
  follow_logs
  for id in 1 2 3 4; do wait_for_lines "client$id" "action: apuestas_enviadas | result: success" || true; done
  local pid
  pid=$(docker inspect -f '{{.State.Pid}}' server)
  kill -KILL "$pid"
  # The restarted server's first line about its round counts the bets of the four agencies,
  # every one acknowledged before the kill: it found the round on its volume.
  local acknowledged=0
  for id in 1 2 3 4; do acknowledged=$((acknowledged + $(grep -c . "$project/.data/agency-$id.csv"))); done
  local deadline=$((SECONDS + kWait))
  until [ "$(docker inspect -f '{{.RestartCount}} {{.State.Running}}' server 2> /dev/null)" = "1 true" ] &&
    [ "$(docker logs server 2>&1 | grep -c "action: resume_round | result: success")" -ge 2 ]; do
    [ $SECONDS -lt $deadline ] || break
    sleep 0.2
  done
  local resumed
  resumed=$(docker logs server 2>&1 | grep -o 'action: resume_round | result: success.*' | sed -n 2p)
  if [[ $resumed == *"| bets: $acknowledged | "*"| drawn: no |"* ]]; then
    pass "killed mid-round, the server was started again and resumed: $resumed"
  else
    fail "the killed server was not started again with its $acknowledged bets: '$resumed', $(docker inspect -f '{{.RestartCount}} {{.State.Status}}' server)"
  fi
  # A new stream, after the fifth agency's container has started, follows all of them.
  stop_following
  compose up -d client5 > "$scratch/up.log" 2>&1 || { cat "$scratch/up.log"; fail "up client5"; return; }
  follow_logs
  for id in 1 2 3 4 5; do
    expect_exit_zero "client$id" "server crash"
    local expected answer
    expected=$(winners_in "$project/.data/agency-$id.csv")
    answer=$(lines_of "client$id" | grep "action: consulta_ganadores | result: success" | field_of cant_ganadores)
    if [ "$answer" = "$expected" ]; then pass "server crash: client$id got its $expected winners"; else fail "server crash: client$id answered '$answer', expected $expected"; fi
    expect_no_fail_lines "client$id" "server crash"
  done
  # Every row of every agency file, once, and nothing else.
  local stored expected_rows
  stored=$(docker exec server cat /tp0/round/bets.csv | sort)
  expected_rows=$(for id in 1 2 3 4 5; do sed "s/^/$id,/" "$project/.data/agency-$id.csv"; done | sort)
  if [ "$stored" = "$expected_rows" ]; then
    pass "server crash: the bets file holds the $(grep -c . <<< "$expected_rows") bets of the agency files, each once"
  else
    fail "server crash: the bets file differs from the agency files ($(grep -c . <<< "$stored") rows, $(grep -c . <<< "$expected_rows") expected; $(sort <<< "$stored" | uniq -d | wc -l) repeated)"
  fi
  check_up_after_down "$expected_rows"
  reset_docker
}

# After a round, `down` as the suite and the Makefile run it (no -v), then `up` with the same
# agency files: the server starts a new round, on a volume of its own, and every agency gets
# its winners again, with each bet stored once. The first round's volume, left by `down`,
# is removed here.
check_up_after_down() {  # <the bets of the first round, sorted>
  local old_volume new_volume
  old_volume=$(round_volume)
  stop_following
  compose stop -t 1 > /dev/null 2>&1 || true
  compose down > /dev/null 2>&1 || true
  up || { fail "up after down"; return; }
  new_volume=$(round_volume)
  if [[ $old_volume == "volume "?* ]] && [[ $new_volume == "volume "?* ]] && [ "$new_volume" != "$old_volume" ]; then
    pass "up after down: the round is on a new anonymous volume"
  else
    fail "up after down: the round's volume was '$old_volume', is '$new_volume'"
  fi
  [ -z "${old_volume#volume }" ] || docker volume rm "${old_volume#volume }" > /dev/null 2>&1 || true
  local id
  for id in 1 2 3 4 5; do expect_exit_zero "client$id" "up after down"; done
  expect_new_round "up after down"
  for id in 1 2 3 4 5; do
    local expected answer
    expected=$(winners_in "$project/.data/agency-$id.csv")
    answer=$(lines_of "client$id" | grep "action: consulta_ganadores | result: success" | field_of cant_ganadores)
    if [ "$answer" = "$expected" ]; then pass "up after down: client$id got its $expected winners"; else fail "up after down: client$id answered '$answer', expected $expected"; fi
  done
  if [ "$(docker exec server cat /tp0/round/bets.csv | sort)" = "$1" ]; then
    pass "up after down: the new round's bets file holds each bet once"
  else
    fail "up after down: the new round's bets file is not the agency files' bets, each once"
  fi
}

case $exercise in
  1) check_echo_loops ;;
  2) check_config_edits ;;
  3) check_netcat_script ;;
  4) check_graceful_stops ;;
  5) check_single_bet ;;
  6) check_batches ;;
  7) check_lottery ;;
  8) check_lottery; check_server_crash ;;
  *) fail "no exercise $exercise" ;;
esac
finish
