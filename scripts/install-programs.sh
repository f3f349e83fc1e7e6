#!/usr/bin/env bash
# Puts the server and client of a build directory into bin/. Each program is copied beside
# the old one, then renamed over it: a bin/server or bin/client that is running goes on
# running its own file, where copying over it would fail with "Text file busy".
# Usage: scripts/install-programs.sh BUILD-DIR   (the programs are BUILD-DIR/server/server
# and BUILD-DIR/client/client)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD-DIR" >&2; exit 2; }
build=$(realpath -m "$1")
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mkdir -p bin
scratch=""
trap 'rm -f "$scratch"' EXIT  # a copy that failed part-way; once renamed there is none
for program in server client; do
  # A name of its own beside the old program, so that two installs at once do not share it.
  scratch=$(mktemp "bin/.$program.XXXXXX")
  cp "$build/$program/$program" "$scratch"
  chmod 755 "$scratch"
  mv -f "$scratch" "bin/$program"
done
