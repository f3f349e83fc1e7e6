#!/usr/bin/env bash
# `make build` on a fresh Debian machine: a container of the pinned Debian image with only
# make added (the course's machines have it) builds bin/server and bin/client from a copy of
# this checkout, installing what compiling needs by itself, and the programs run.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

base=$(sed -n 's/^ARG DEBIAN_IMAGE=//p' "$repo/server/Dockerfile")
if docker image inspect tp0-toolchain:latest > /dev/null 2>&1; then
  # docker/build-images.sh found that containers cannot reach Debian's mirror.
  note "containers here cannot reach Debian's mirror: a fresh machine cannot be tried"
  exit 77
fi

origin_scratch=$(mktemp -d /tmp/tp0-fresh-XXXXXX)
trap 'rm -rf "$origin_scratch"' EXIT
bash "$repo/tests/docker/make_origin.sh" "$origin_scratch/origin"

# Each program is run with one wrong setting: it must start, read it, and refuse it by name.
script='
set -e
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make > /dev/null
cp -r /origin /project && cd /project
if command -v cmake > /dev/null; then echo "cmake is there already: not a fresh machine"; exit 1; fi
make build
cd /project/server
if SERVER_PORT=abc ../bin/server 2> /tmp/server.err; then echo "the server took SERVER_PORT=abc"; exit 1; fi
cd /project/client
if CLI_ID=abc ../bin/client 2> /tmp/client.err; then echo "the client took CLI_ID=abc"; exit 1; fi
grep "invalid setting SERVER_PORT" /tmp/server.err
grep "invalid setting id (CLI_ID)" /tmp/client.err
'
if docker run --rm -v "$origin_scratch/origin:/origin:ro" "$base" bash -c "$script" > "$origin_scratch/build.log" 2>&1; then
  pass "make build on a machine without cmake installed what it needed and built both programs"
  grep -E "^install-deps: installing|invalid setting" "$origin_scratch/build.log"
else
  tail -30 "$origin_scratch/build.log"
  fail "make build on a machine without cmake"
fi
finish
