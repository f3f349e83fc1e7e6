#!/usr/bin/env bash
# The generated compose file's one-shot service `certs` (generar-compose.sh): run as root in
# the server's image, in /tp0 with the host's .data/ mounted at /tp0/.data, before the server
# and the clients start. It makes the round's missing certificates into .data/tls
# (scripts/make-certs.sh: what is there is kept), then hands the files to those who read
# them: the server's and the agencies' keys to the programs' user, uid 10001, mode 0600, so
# that they can read them and no one else can; everything else to the owner of .data/ on the
# host, who can so replace or remove it all.
# Usage: certs-service.sh N   (agencies 1 to N)
set -euo pipefail

readonly kProgramUser=10001
readonly kTls=.data/tls

if [ $# -ne 1 ]; then
  echo "usage: $0 N   (agencies 1 to N)" >&2
  exit 2
fi
make-certs.sh "$kTls" "$1"
chown -R "$(stat -c %u:%g .data)" "$kTls"
shopt -s nullglob
keys=("$kTls"/server/server.key "$kTls"/agency-*/agency.key)
chown "$kProgramUser:$kProgramUser" "${keys[@]}"
chmod 0600 "${keys[@]}"
