#!/usr/bin/env bash
# Writes a Docker Compose file with the server and N clients, one per agency.
# Usage: ./generar-compose.sh <output-file> <clients>
#
# What the containers do depends on the exercise selected in docker/exercise (or by
# TP0_EXERCISE for one run): 1-4 echo, 5 one bet from the environment, 6 batches from the
# agency file, 7 the whole lottery with a sequential server, 8 the same with one process
# per connection. The server is always told how many agencies there are.
#
# Each client's program starts CLIENT_START_DELAY seconds (default 2) after its container,
# for Compose v2's `logs -f`: the file's x-client-start setting says why. In the lottery
# exercises (5-8) the conversations run over mutual TLS: a one-shot service `certs` first
# makes the certificates that are missing into .data/tls, and each container mounts only its
# own folder of it, read-only (the file's comment on `certs` says more).
#
# Every container is hardened (the file's x-hardening setting): no capabilities, no new
# privileges, a read-only root file system, bounded memory and processes, rotated logs. The
# server keeps its round in /tp0/round, an anonymous volume: a server that Docker restarts
# after a crash finds its round there, and a new `up` after `down` starts a new one.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  echo "usage: $0 <output-file> <clients>   (clients: a whole number, 0 or more)" >&2
  exit 2
}

[ $# -eq 2 ] || usage
output=$1
[ -n "$output" ] || usage
[[ $2 =~ ^[0-9]+$ ]] || usage
# Base 10 even with leading zeros; a count too large to be meant is refused, not wrapped.
[ "${#2}" -le 6 ] || usage
clients=$((10#$2))

client_start_delay=${CLIENT_START_DELAY:-2}
if ! [[ $client_start_delay =~ ^[0-9]{1,3}(\.[0-9]{1,3})?$ ]]; then
  echo "$0: CLIENT_START_DELAY must be a number of seconds such as 2 or 0.5, not '$client_start_delay'" >&2
  exit 2
fi

# The containers' limits (docs/docker.md says how each was chosen).
readonly kServerMemory=512m kServerPids=128
readonly kClientMemory=64m kClientPids=16
readonly kCertsMemory=128m kCertsPids=32
readonly kLogMaxSize=10m kLogMaxFiles=3
# Where the server keeps its round (STORAGE_FILEPATH and its siblings): a folder of the
# image, owned by the programs' user, on which each server container gets a volume.
readonly kRoundFolder=/tp0/round

if [ -n "${TP0_EXERCISE:-}" ]; then
  exercise=$TP0_EXERCISE
  exercise_source=TP0_EXERCISE
else
  exercise=$(grep -v '^[[:space:]]*#' "$root/docker/exercise" | tr -d '[:space:]')
  exercise_source=docker/exercise
fi
if ! [[ $exercise =~ ^[1-8]$ ]]; then
  echo "$0: $exercise_source must be an exercise number from 1 to 8, not '$exercise'" >&2
  exit 2
fi

case $exercise in
  1 | 2 | 3 | 4) server_mode="echo";    concurrency="sequential"; client_mode="echo" ;;
  5)             server_mode="lottery"; concurrency="sequential"; client_mode="bet" ;;
  6)             server_mode="lottery"; concurrency="sequential"; client_mode="batch" ;;
  7)             server_mode="lottery"; concurrency="sequential"; client_mode="lottery" ;;
  8)             server_mode="lottery"; concurrency="process";    client_mode="lottery" ;;
esac
reads_agency_file=false
if [ "$client_mode" = batch ] || [ "$client_mode" = lottery ]; then reads_agency_file=true; fi
# The lottery speaks TLS; the echo mode stays plain text, as the netcat check expects.
uses_tls=false
if [ "$server_mode" = lottery ]; then uses_tls=true; fi

# Exercise 5's bet: the course's example person, with a document of their own per agency.
bet_environment() {
  local id=$1
  cat <<YAML
      - NOMBRE=Santiago Lionel
      - APELLIDO=Lorca
      - DOCUMENTO=$((30904464 + id))
      - NACIMIENTO=1999-03-17
      - NUMERO=7574
YAML
}

client_service() {
  local id=$1
  cat <<YAML

  client$id:
    container_name: client$id
    image: client:latest
    environment:
      - CLI_ID=$id
      - CLI_MODE=$client_mode
YAML
  if [ "$client_mode" = bet ]; then bet_environment "$id"; fi
  if $reads_agency_file; then
    echo "      - CLI_DATA_FILE=/data/agency.csv"
  fi
  if [ "$client_mode" = lottery ]; then
    echo "      - CLI_WINNERS_LOGDELAY=1s"
  fi
  cat <<YAML
    volumes:
      - ./client/config.yaml:/tp0/config.yaml:ro
YAML
  if $reads_agency_file; then
    echo "      - ./.data/agency-$id.csv:/data/agency.csv:ro"
  fi
  if $uses_tls; then
    echo "      - ./.data/tls/agency-$id:/tp0/.data/tls/agency-$id:ro"
  fi
  cat <<YAML
    networks:
      - testing_net
YAML
  if $uses_tls; then
    cat <<YAML
    depends_on:
      certs:
        condition: service_completed_successfully
      server:
        condition: service_started
YAML
  else
    cat <<YAML
    depends_on:
      - server
YAML
  fi
  cat <<YAML
    <<: [*hardening, *client-start]
    # One process (sh, with its sleep, then the client it becomes), of a few MiB.
    mem_limit: $kClientMemory
    memswap_limit: $kClientMemory
    pids_limit: $kClientPids
YAML
}

# The one-shot service that makes the round's certificates, and the reason for it.
certs_service() {
  cat <<YAML
  # certs: makes the certificates of the round's mutual TLS that are missing, in .data/tls on
  # the host (scripts/make-certs.sh: a CA in .data/tls/ca, kept apart, signs the server's
  # folder and one per agency; what is already there is kept), gives the keys to the
  # programs' user (uid 10001, mode 0600), and exits. The server and the clients start only
  # once it has succeeded, and each mounts only its own folder, read-only, where the
  # programs' default settings look (/tp0/.data/tls/...). Other certificates are used by
  # putting them in place under the same names.
  certs:
    container_name: certs
    image: server:latest
    user: root
    entrypoint: ["/usr/local/bin/certs-service.sh", "$clients"]
    volumes:
      - ./.data:/tp0/.data
    network_mode: none
    <<: *hardening
    # Root without root's powers but three: writing into the host user's .data/ and reading
    # the CA's key there (DAC_OVERRIDE), handing files to their owners (CHOWN), and setting
    # the mode of keys that are no longer its own (FOWNER).
    cap_add: [CHOWN, DAC_OVERRIDE, FOWNER]
    mem_limit: $kCertsMemory
    memswap_limit: $kCertsMemory
    pids_limit: $kCertsPids

YAML
}

# The named setting every service takes: see the comment it is written with.
hardening_setting() {
  cat <<YAML

# x-hardening, taken by every service: a container may do what its program needs and no
# more. It starts with no capabilities (cap_drop: ALL: the programs listen above port 1024
# and change no file's owner) and cannot gain any (no-new-privileges), and its root file
# system is read-only: the programs write only to the network, to their logs and, the
# server, to the volume of its round. Logs rotate at $kLogMaxSize, $kLogMaxFiles files kept per container,
# so a long round cannot fill the host's disk; \`docker compose logs\` reads them all.
# Each service sets its own memory and process limits, swap included.
x-hardening: &hardening
  cap_drop: [ALL]
  security_opt: [no-new-privileges:true]
  read_only: true
  logging:
    driver: json-file
    options:
      max-size: $kLogMaxSize
      max-file: "$kLogMaxFiles"
YAML
}

# The named setting every client service takes: see the comment it is written with.
client_start_setting() {
  cat <<YAML

# x-client-start: each client runs its program CLIENT_START_DELAY=$client_start_delay seconds after its
# container starts. Compose v2's \`logs -f\`, started after \`up -d\` returns, follows only the
# containers running then, and prints the lines each container wrote before it attached in
# any order across containers: without the wait, a short client could exit unseen, or its
# lines could come out before the server's. A SIGTERM during the wait ends the container
# with code 0; a client that hangs still hangs. Set CLIENT_START_DELAY=0 to start at once.
# For the same stream, a lottery client logs consulta_ganadores 1 second after its answer
# arrives (CLI_WINNERS_LOGDELAY=1s): lines of different containers come out in the order
# Docker relays them, and on a loaded machine a client's line written a millisecond after
# the server's sorteo can otherwise come out before it.
x-client-start: &client-start
  entrypoint: ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep $client_start_delay & wait \$\$!; exec /usr/local/bin/client"]
YAML
}

{
  cat <<YAML
# Generated by generar-compose.sh for exercise $exercise with $clients client(s).
name: tp0
YAML
  hardening_setting
  if [ "$clients" -gt 0 ]; then client_start_setting; fi
  echo "services:"
  if $uses_tls; then certs_service; fi
  cat <<YAML
  server:
    container_name: server
    image: server:latest
    # A server that crashes is started again, and resumes its round from its files.
    restart: on-failure
    <<: *hardening
    # SERVER_MAX_CHILDREN (64) processes at most, the waiting room among them, and the
    # parent; about 260 MiB for all of them at 10,000 agencies. Twice each, for a margin.
    mem_limit: $kServerMemory
    memswap_limit: $kServerMemory
    pids_limit: $kServerPids
    environment:
      - SERVER_MODE=$server_mode
      - SERVER_CONCURRENCY=$concurrency
      - SERVER_AGENCIES=$clients
      - STORAGE_FILEPATH=$kRoundFolder/bets.csv
    volumes:
      - ./server/config.ini:/tp0/config.ini:ro
      # The round (the bets file, its journal, the draw's record), on an anonymous volume:
      # it stays with this container, through Docker's restarts after a crash, and goes
      # with it at \`down\`, so that the next \`up\` starts a new round.
      - $kRoundFolder
YAML
  if $uses_tls; then
    cat <<YAML
      - ./.data/tls/server:/tp0/.data/tls/server:ro
YAML
  fi
  cat <<YAML
    networks:
      - testing_net
YAML
  if $uses_tls; then
    cat <<YAML
    depends_on:
      certs:
        condition: service_completed_successfully
YAML
  fi
  for ((id = 1; id <= clients; id++)); do client_service "$id"; done
  cat <<YAML

networks:
  testing_net:
    ipam:
      driver: default
      config:
        - subnet: 172.25.125.0/24
YAML
} > "$output"
