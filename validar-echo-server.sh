#!/bin/sh
# Checks that the echo server answers: sends one line with netcat from a container attached
# to the compose network (nothing is published on the host, and the host needs no netcat)
# and expects the same line back. Prints exactly one result line; exits 0 on success, 1 on
# failure. The server being down, unreachable, silent or answering something else is a
# failure, reported within about ten seconds.
# Usage: sh validar-echo-server.sh
# Environment: TP0_NETWORK (default tp0_testing_net), TP0_ECHO_HOST (default server),
#              TP0_ECHO_PORT (default 12345).
network=${TP0_NETWORK:-tp0_testing_net}
host=${TP0_ECHO_HOST:-server}
port=${TP0_ECHO_PORT:-12345}
image=tp0-netcat:latest
root=$(cd "$(dirname "$0")" && pwd)
message="echo check $$ $(date +%s)"

netcat_image_ready() {
  docker image inspect "$image" > /dev/null 2>&1 ||
    bash "$root/docker/build-images.sh" base > /dev/null 2>&1
}

# nc gives up after 3 s without traffic; timeout bounds the whole container run. The
# container runs as an unprivileged user, with no capabilities and no way to gain any, on a
# read-only root file system, and with little memory and few processes: netcat needs no more.
# shellcheck disable=SC2016  # the container's sh expands the arguments
ask_server() {
  timeout 10 docker run --rm --network "$network" --user 10001:10001 --cap-drop ALL \
    --security-opt no-new-privileges:true --read-only --memory 32m --memory-swap 32m \
    --pids-limit 8 "$image" \
    sh -c 'printf "%s\n" "$1" | nc -w 3 "$2" "$3"' check "$message" "$host" "$port" 2> /dev/null
}

if netcat_image_ready && reply=$(ask_server) && [ "$reply" = "$message" ]; then
  echo "action: test_echo_server | result: success"
  exit 0
fi
echo "action: test_echo_server | result: fail"
exit 1
