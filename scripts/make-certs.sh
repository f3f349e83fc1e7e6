#!/usr/bin/env bash
# Makes the certificates of a round's mutual TLS with the openssl command: a private CA, the
# server's certificate, and one certificate per agency. ECDSA P-256 keys, SHA-256 signatures.
#
# Usage: scripts/make-certs.sh [--new-ca] DIR N          agencies 1 … N (N from 0 to 10000)
#        scripts/make-certs.sh [--new-ca] DIR ID ID …    the agencies named (one alone: ID ID)
#        scripts/make-certs.sh --revoke DIR ID           agency ID's certificate revoked
#        scripts/make-certs.sh --renew DIR ID            agency ID given a new key
#
# What DIR holds afterwards:
#   DIR/ca.crt                 the CA's certificate (10 years)
#   DIR/ca/ca.key              the CA's key, in a folder of its own (0700) that no container
#                              mounts: it only signs what this script makes; index.txt there
#                              lists what --revoke revoked
#   DIR/server/                server.crt, server.key, ca.crt: subject CN server, names
#                              DNS:server, DNS:localhost and IP:127.0.0.1, serverAuth (2 years)
#   DIR/agency-<id>/           agency.crt, agency.key, ca.crt: subject CN agency-<id>,
#                              clientAuth (2 years)
#   DIR/crl.pem                after --revoke: the CA's revocation list (valid 10 years),
#                              copied to DIR/server/crl.pem, where the server reads it
# Every key is mode 0600; each folder's ca.crt is a copy of DIR/ca.crt, what its owner trusts.
#
# What is already there is left alone, byte for byte: an existing CA signs the missing
# folders, and an existing server or agency folder is kept (real certificates can be put in
# place under the same names). A folder is made aside and renamed into place, so it is
# either whole or absent. --new-ca makes a new CA and, with it, the server's folder and every
# agency folder again: those named and those already in DIR, so that none is left signed by
# the CA it replaces (and no revocation list remains). --revoke adds agency ID's certificate
# to the revocation list (again: nothing more); --renew makes agency ID's folder again with a
# new key, signed by the same CA (a new serial number, so a revoked agency can be let back in).
#
# Prints one summary line on success; an error is one line on stderr and exit code 1, wrong
# arguments a usage line and exit code 2.
set -euo pipefail

readonly kCaDays=3650
readonly kLeafDays=730
readonly kMaxCount=10000
readonly kMaxId=4294967295

usage() {
  echo "usage: $0 [--new-ca] DIR N | [--new-ca] DIR ID ID ... | --revoke DIR ID | --renew DIR ID   (N: agencies 1 to N, 0 to $kMaxCount; ID: 1 to $kMaxId)" >&2
  exit 2
}
fail() {
  echo "make-certs: $*" >&2
  exit 1
}

# make (the default), new-ca, revoke or renew.
action="make"
case "${1:-}" in
  --new-ca | --revoke | --renew)
    action=${1#--}
    shift
    ;;
esac
[ $# -ge 2 ] || usage
case $action in revoke | renew) [ $# -eq 2 ] || usage ;; esac
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
if [ $# -eq 1 ] && [ "$action" != revoke ] && [ "$action" != renew ]; then
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
    [ -f "$folder/$file" ] || fail "$folder lacks $file: complete it, remove the folder, or run with --new-ca"
  done
}

# What is to be made: the server's folder and the agencies' that are missing, all with
# --new-ca (the agencies already in DIR among them), agency ID's with --renew, none with
# --revoke.
to_make=()
server_state=made
made=0
kept=0
case $action in
  new-ca)
    shopt -s nullglob
    for folder in "$dir"/agency-*; do
      id=${folder##*/agency-}
      if [[ $id =~ ^[1-9][0-9]{0,9}$ ]] && [ "$id" -le "$kMaxId" ]; then name_agency "$id"; fi
    done
    shopt -u nullglob
    to_make=(server)
    ;;
  make)
    if present "$dir/server" server.crt server.key; then server_state=kept; else to_make+=(server); fi
    ;;
esac
if [ "$action" != revoke ]; then
  for id in "${agencies[@]}"; do
    if [ "$action" = make ] && present "$dir/agency-$id" agency.crt agency.key; then
      kept=$((kept + 1))
    else
      to_make+=("agency-$id")
      made=$((made + 1))
    fi
  done
fi

# The CA: made with --new-ca, or when something is to be signed and there is none; reused
# when it is there and its key matches its certificate (--revoke and --renew need it there).
ca_crt=$dir/ca.crt
ca_key=$dir/ca/ca.key
ca_state=kept
new_ca=false
if [ "$action" = new-ca ]; then
  new_ca=true
  ca_state=renewed
elif [ "$action" = make ] && [ "${#to_make[@]}" -eq 0 ]; then
  [ -e "$ca_crt" ] || ca_state=absent
elif [ ! -e "$ca_crt" ] && [ ! -e "$ca_key" ]; then
  [ "$action" = make ] || fail "$dir holds no CA ($ca_crt, $ca_key) to $action agency ${agencies[0]} with"
  shopt -s nullglob
  signed=("$dir"/agency-*)
  shopt -u nullglob
  if [ -e "$dir/server" ] || [ "${#signed[@]}" -gt 0 ]; then
    fail "$dir holds certificates but not the CA that signed them ($ca_crt, $ca_key): run with --new-ca to make them all again"
  fi
  new_ca=true
  ca_state=made
elif [ ! -f "$ca_crt" ] || [ ! -f "$ca_key" ]; then
  fail "the CA is incomplete: both $ca_crt and $ca_key are needed (or run with --new-ca)"
else
  cert_key=$(openssl x509 -in "$ca_crt" -noout -pubkey 2> /dev/null) || fail "$ca_crt is not a certificate"
  own_key=$(openssl pkey -in "$ca_key" -pubout 2> /dev/null) || fail "$ca_key is not a private key (or cannot be read)"
  [ "$cert_key" = "$own_key" ] || fail "$ca_key is not the key of $ca_crt"
fi

# --revoke: the CA's database (index.txt beside its key, kept by `openssl ca`) gains the
# certificate, and the revocation list is made again from it, whole, then put in place.
if [ "$action" = revoke ]; then
  id=${agencies[0]}
  cert=$dir/agency-$id/agency.crt
  [ -f "$cert" ] || fail "$cert is missing: agency $id has no certificate to revoke"
  serial=$(openssl x509 -in "$cert" -noout -serial 2> /dev/null) || fail "$cert is not a certificate"
  serial=${serial#serial=}
  export TP0_CA_DATABASE=$dir/ca/index.txt TP0_CA_CRT=$ca_crt TP0_CA_KEY=$ca_key
  cat >> "$OPENSSL_CONF" <<CONF
[ca]
default_ca = round_ca
[round_ca]
database = \$ENV::TP0_CA_DATABASE
certificate = \$ENV::TP0_CA_CRT
private_key = \$ENV::TP0_CA_KEY
unique_subject = no
default_md = sha256
default_crl_days = $kCaDays
CONF
  (umask 077 && touch "$TP0_CA_DATABASE") || fail "cannot write $TP0_CA_DATABASE"
  if ! awk -F'\t' -v serial="$serial" '$1 == "R" && $4 == serial { found = 1 } END { exit !found }' \
    "$TP0_CA_DATABASE"; then
    run_openssl "the revocation of $cert" ca -batch -revoke "$cert"
  fi
  run_openssl "the revocation list" ca -batch -gencrl -out "$stage/crl.pem"
  chmod 0644 "$stage/crl.pem"
  if [ -d "$dir/server" ]; then
    cp "$stage/crl.pem" "$stage/server-crl.pem"
    mv -T "$stage/server-crl.pem" "$dir/server/crl.pem" 2> /dev/null || fail "cannot move crl.pem into $dir/server"
  fi
  mv -T "$stage/crl.pem" "$dir/crl.pem" 2> /dev/null || fail "cannot move crl.pem into $dir"
  echo "make-certs: $dir: agency $id revoked; crl.pem lists $(grep -c '^R' "$TP0_CA_DATABASE")"
  exit 0
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
# sign what is still missing. A new CA's folder has no database: the list it signed goes.
install_item() {  # <name in the stage and in DIR>
  if [ "$action" != make ]; then rm -rf "${dir:?}/$1"; fi
  mv -T "$stage/$1" "$dir/$1" 2> /dev/null || fail "cannot move $1 into $dir"
}
if $new_ca; then
  rm -f "$dir/crl.pem"
  install_item ca
  install_item ca.crt
fi
for name in "${to_make[@]}"; do install_item "$name"; done

case $action in
  new-ca) echo "make-certs: $dir: CA, server and $made agencies renewed" ;;
  renew) echo "make-certs: $dir: agency ${agencies[0]} renewed" ;;
  *) echo "make-certs: $dir: CA $ca_state; server $server_state; agencies: $made made, $kept kept" ;;
esac
