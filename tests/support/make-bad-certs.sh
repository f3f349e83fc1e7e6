#!/usr/bin/env bash
# Certificates that the round must refuse, for the TLS tests, beside a DIR made by
# scripts/make-certs.sh. Each case is one wrong thing: everything else about it is right.
#
# Usage: tests/support/make-bad-certs.sh DIR ID
#
# Writes DIR/bad/ (made again from scratch at each run):
#   other-ca/ca.crt, other-ca/ca.key       a CA of its own, which the round does not trust
#   expired-agency-<ID>/                   agency.crt, agency.key, ca.crt: CN agency-<ID>,
#                                          signed by DIR's CA, valid only in January 2020
#                                          (openssl verify: "certificate has expired")
#   untrusted-agency-<ID>/                 agency.crt, agency.key, ca.crt: CN agency-<ID>,
#                                          signed by other-ca ("unable to get local issuer
#                                          certificate")
#   untrusted-server/                      server.crt, server.key, ca.crt: a fake server, with
#                                          the real server's names, signed by other-ca
#   wrong-name-server/                     server.crt, server.key, ca.crt: signed by DIR's CA,
#                                          but naming only elsewhere.invalid (a client that
#                                          checks the name it dialed refuses it)
# Every ca.crt is DIR's own CA, what each party trusts, so that only its certificate is wrong.
# The keys are ECDSA P-256, mode 0600, like make-certs.sh's. Prints one summary line.
set -euo pipefail

usage() {
  echo "usage: $0 DIR ID   (DIR: made by scripts/make-certs.sh; ID: an agency, 1 to 4294967295)" >&2
  exit 2
}
fail() {
  echo "make-bad-certs: $*" >&2
  exit 1
}

[ $# -eq 2 ] || usage
dir=$1
[[ $2 =~ ^[0-9]{1,10}$ ]] || usage
id=$((10#$2))
if [ "$id" -lt 1 ] || [ "$id" -gt 4294967295 ]; then usage; fi
ca_crt=$dir/ca.crt
ca_key=$dir/ca/ca.key
if [ ! -f "$ca_crt" ] || [ ! -f "$ca_key" ]; then
  fail "$dir holds no CA ($ca_crt and $ca_key): run scripts/make-certs.sh $dir first"
fi

bad=$dir/bad
rm -rf "$bad"
mkdir -p "$bad"
work=$(mktemp -d "$bad/.work-XXXXXX")
trap 'rm -rf "$work"' EXIT

export OPENSSL_CONF=$work/openssl.cnf
cat > "$OPENSSL_CONF" <<CONF
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

[elsewhere_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:elsewhere.invalid
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[agency_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# openssl ca, the one command of OpenSSL 3.0 that sets a certificate's dates at will.
[ca]
default_ca = past
[past]
database = $work/index.txt
new_certs_dir = $work
rand_serial = yes
default_md = sha256
policy = any_subject
unique_subject = no
[any_subject]
organizationName = optional
commonName = supplied
CONF
: > "$work/index.txt"

run_openssl() {  # <what it makes> <openssl arguments...>
  local what=$1
  shift
  if ! (umask 077 && openssl "$@") > /dev/null 2> "$work/openssl.err"; then
    fail "openssl could not make $what: $(grep -v '^-*$' "$work/openssl.err" | head -1)"
  fi
}

# finish_folder <folder> <cert file> <key file>: the folder's CA file and modes.
finish_folder() {
  cp "$ca_crt" "$1/ca.crt"
  chmod 0600 "$1/$3"
  chmod 0644 "$1/$2" "$1/ca.crt"
}

# signed_leaf <folder> <cert file> <key file> <CN> <extensions> <CA cert> <CA key>
signed_leaf() {
  mkdir "$1"
  run_openssl "$1/$2" req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout "$1/$3" \
    -CA "$6" -CAkey "$7" -sha256 -days 730 -subj "/O=TP0/CN=$4" -extensions "$5" -out "$1/$2"
  finish_folder "$1" "$2" "$3"
}

other=$bad/other-ca
mkdir -m 0700 "$other"
run_openssl "$other/ca.key" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$other/ca.key"
run_openssl "$other/ca.crt" req -x509 -new -key "$other/ca.key" -sha256 -days 3650 \
  -subj "/O=Elsewhere/CN=Another CA" -extensions ca_ext -out "$other/ca.crt"
chmod 0644 "$other/ca.crt"

expired=$bad/expired-agency-$id
mkdir "$expired"
run_openssl "$expired/agency.key" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
  -keyout "$expired/agency.key" -subj "/O=TP0/CN=agency-$id" -out "$work/expired.csr"
run_openssl "$expired/agency.crt" ca -batch -notext -cert "$ca_crt" -keyfile "$ca_key" \
  -startdate 20200101000000Z -enddate 20200201000000Z -extensions agency_ext \
  -in "$work/expired.csr" -out "$expired/agency.crt"
finish_folder "$expired" agency.crt agency.key

signed_leaf "$bad/untrusted-agency-$id" agency.crt agency.key "agency-$id" agency_ext "$other/ca.crt" "$other/ca.key"
signed_leaf "$bad/untrusted-server" server.crt server.key server server_ext "$other/ca.crt" "$other/ca.key"
signed_leaf "$bad/wrong-name-server" server.crt server.key elsewhere.invalid elsewhere_ext "$ca_crt" "$ca_key"

echo "make-bad-certs: $bad: other-ca, expired-agency-$id, untrusted-agency-$id, untrusted-server, wrong-name-server"
