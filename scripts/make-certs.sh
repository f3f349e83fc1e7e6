#!/usr/bin/env bash
# Makes the certificates of a round's mutual TLS with the openssl command: a private CA, the
# server's certificate, and one certificate per agency. ECDSA P-256 keys, SHA-256 signatures.
#
# Usage: scripts/make-certs.sh [--renew] DIR N          agencies 1 … N (N from 0 to 10000)
#        scripts/make-certs.sh [--renew] DIR ID ID …    the agencies named (one alone: ID ID)
#
# What DIR holds afterwards:
#   DIR/ca.crt                 the CA's certificate (10 years)
#   DIR/ca/ca.key              the CA's key, in a folder of its own (0700) that no container
#                              mounts: it only signs what this script makes
#   DIR/server/                server.crt, server.key, ca.crt: subject CN server, names
#                              DNS:server, DNS:localhost and IP:127.0.0.1, serverAuth (2 years)
#   DIR/agency-<id>/           agency.crt, agency.key, ca.crt: subject CN agency-<id>,
#                              clientAuth (2 years)
# Every key is mode 0600; each folder's ca.crt is a copy of DIR/ca.crt, what its owner trusts.
#
# What is already there is left alone, byte for byte: an existing CA signs the missing
# folders, and an existing server or agency folder is kept (real certificates can be put in
# place under the same names). A folder is made aside and renamed into place, so it is
# either whole or absent. --renew makes a new CA and, with it, the server's folder and every
# agency folder again: those named and those already in DIR, so that none is left signed by
# the CA it replaces.
#
# Prints one summary line on success; an error is one line on stderr and exit code 1, wrong
# arguments a usage line and exit code 2.
set -euo pipefail

readonly kCaDays=3650
readonly kLeafDays=730
readonly kMaxCount=10000
readonly kMaxId=4294967295

usage() {
  echo "usage: $0 [--renew] DIR N | [--renew] DIR ID ID ...   (N: agencies 1 to N, 0 to $kMaxCount; ID: 1 to $kMaxId)" >&2
  exit 2
}
fail() {
  echo "make-certs: $*" >&2
  exit 1
}

renew=false
if [ "${1:-}" = --renew ]; then
  renew=true
  shift
fi
[ $# -ge 2 ] || usage
dir=$1
shift
[ -n "$dir" ] || usage

# A whole decimal number of at most 10 digits, printed without leading zeros.
decimal() {
  [[ $1 =~ ^[0-9]{1,10}$ ]] || return 1
  echo $((10#$1))
}

agencies=()
declare -A named=()
name_agency() {
  if [ -z "${named[$1]:-}" ]; then
    named[$1]=1
    agencies+=("$1")
  fi
}
if [ $# -eq 1 ]; then
  count=$(decimal "$1") || usage
  [ "$count" -le "$kMaxCount" ] || usage
  for ((id = 1; id <= count; id++)); do name_agency "$id"; done
else
  for argument in "$@"; do
    id=$(decimal "$argument") || usage
    if [ "$id" -lt 1 ] || [ "$id" -gt "$kMaxId" ]; then usage; fi
    name_agency "$id"
  done
fi

command -v openssl > /dev/null || fail "the openssl command is missing (scripts/install-deps.sh build installs it)"
if [ -e "$dir" ] && [ ! -d "$dir" ]; then fail "$dir exists and is not a folder"; fi
mkdir -p "$dir" 2> /dev/null || fail "cannot create the folder $dir"

# One run at a time per DIR: two runs would both see a folder missing and both make it.
exec 9< "$dir"
flock 9

umask 022
stage=$(mktemp -d "$dir/.make-certs-XXXXXX" 2> /dev/null) || fail "cannot write in $dir"
trap 'rm -rf "$stage"' EXIT

# Every openssl command reads this configuration, not the system's, so that what is made
# does not depend on the machine's openssl.cnf (or on its absence, in the images).
export OPENSSL_CONF=$stage/openssl.cnf
cat > "$OPENSSL_CONF" <<'CONF'
[req]
distinguished_name = subject
prompt = no
[subject]

[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[agency_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CONF

# run_openssl <what it makes> <openssl arguments...>: openssl's own first error line, if any,
# goes into the one line of the failure. What it writes is 0600 from the start, so that no
# key is ever readable by others; certificates are opened up afterwards.
run_openssl() {
  local what=$1
  shift
  if ! (umask 077 && openssl "$@") > /dev/null 2> "$stage/openssl.err"; then
    fail "openssl could not make $what: $(grep -v '^-*$' "$stage/openssl.err" | head -1)"
  fi
}

# make_leaf <name> <cert file> <key file> <extensions section> <folder>, signed by the CA at
# $ca_crt and $ca_key.
make_leaf() {
  local name=$1 cert=$2 key=$3 extensions=$4 folder=$5
  mkdir "$folder"
  run_openssl "the certificate of $name" req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
    -keyout "$folder/$key" -CA "$ca_crt" -CAkey "$ca_key" -sha256 -days "$kLeafDays" \
    -subj "/O=TP0/CN=$name" -extensions "$extensions" -out "$folder/$cert"
  cp "$ca_crt" "$folder/ca.crt"
  chmod 0600 "$folder/$key"
  chmod 0644 "$folder/$cert" "$folder/ca.crt"
}

# present <folder> <cert file> <key file>: whether the folder is there, whole; a folder
# that is there but not whole stops the run, since keeping it or replacing it would both
# be guesses.
present() {
  local folder=$1 file
  [ -e "$folder" ] || return 1
  for file in "$2" "$3" ca.crt; do
    [ -f "$folder/$file" ] || fail "$folder lacks $file: complete it, remove the folder, or run with --renew"
  done
}

# What is to be made: the server's folder and the agencies' that are missing, or all with
# --renew (the agencies already in DIR among them).
to_make=()
server_state=made
made=0
kept=0
if $renew; then
  shopt -s nullglob
  for folder in "$dir"/agency-*; do
    id=${folder##*/agency-}
    if [[ $id =~ ^[1-9][0-9]{0,9}$ ]] && [ "$id" -le "$kMaxId" ]; then name_agency "$id"; fi
  done
  shopt -u nullglob
  to_make=(server)
else
  if present "$dir/server" server.crt server.key; then server_state=kept; else to_make+=(server); fi
fi
for id in "${agencies[@]}"; do
  if ! $renew && present "$dir/agency-$id" agency.crt agency.key; then
    kept=$((kept + 1))
  else
    to_make+=("agency-$id")
    made=$((made + 1))
  fi
done

# The CA: made with --renew, or when something is to be signed and there is none; reused
# when it is there and its key matches its certificate.
ca_crt=$dir/ca.crt
ca_key=$dir/ca/ca.key
ca_state=kept
new_ca=false
if $renew; then
  new_ca=true
  ca_state=renewed
elif [ "${#to_make[@]}" -eq 0 ]; then
  [ -e "$ca_crt" ] || ca_state=absent
elif [ ! -e "$ca_crt" ] && [ ! -e "$ca_key" ]; then
  shopt -s nullglob
  signed=("$dir"/agency-*)
  shopt -u nullglob
  if [ -e "$dir/server" ] || [ "${#signed[@]}" -gt 0 ]; then
    fail "$dir holds certificates but not the CA that signed them ($ca_crt, $ca_key): run with --renew to make them all again"
  fi
  new_ca=true
  ca_state=made
elif [ ! -f "$ca_crt" ] || [ ! -f "$ca_key" ]; then
  fail "the CA is incomplete: both $ca_crt and $ca_key are needed to sign ${to_make[0]} (or run with --renew)"
else
  cert_key=$(openssl x509 -in "$ca_crt" -noout -pubkey 2> /dev/null) || fail "$ca_crt is not a certificate"
  own_key=$(openssl pkey -in "$ca_key" -pubout 2> /dev/null) || fail "$ca_key is not a private key (or cannot be read)"
  [ "$cert_key" = "$own_key" ] || fail "$ca_key is not the key of $ca_crt"
fi

if $new_ca; then
  mkdir -m 0700 "$stage/ca"
  run_openssl "the CA's key" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$stage/ca/ca.key"
  run_openssl "the CA's certificate" req -x509 -new -key "$stage/ca/ca.key" -sha256 -days "$kCaDays" \
    -subj "/O=TP0/CN=TP0 lottery CA" -extensions ca_ext -out "$stage/ca.crt"
  chmod 0600 "$stage/ca/ca.key"
  chmod 0644 "$stage/ca.crt"
  ca_crt=$stage/ca.crt
  ca_key=$stage/ca/ca.key
fi

for name in "${to_make[@]}"; do
  if [ "$name" = server ]; then
    make_leaf server server.crt server.key server_ext "$stage/server"
  else
    make_leaf "$name" agency.crt agency.key agency_ext "$stage/$name"
  fi
done

# Into place, the CA first: a run stopped half-way leaves a CA that the next run reuses to
# sign what is still missing.
install_item() {  # <name in the stage and in DIR>
  if $renew; then rm -rf "${dir:?}/$1"; fi
  mv -T "$stage/$1" "$dir/$1" 2> /dev/null || fail "cannot move $1 into $dir"
}
if $new_ca; then
  install_item ca
  install_item ca.crt
fi
for name in "${to_make[@]}"; do install_item "$name"; done

if $renew; then
  echo "make-certs: $dir: CA, server and $made agencies renewed"
else
  echo "make-certs: $dir: CA $ca_state; server $server_state; agencies: $made made, $kept kept"
fi
