#!/usr/bin/env bash
# Checks of scripts/make-certs.sh and tests/support/make-bad-certs.sh with the openssl command:
# the files and modes they write, what a second run keeps and --new-ca replaces, what
# --revoke lists and --renew replaces, the
# certificates' names, purposes and lifetimes, and TLS 1.3 handshakes with certificates on
# both sides (openssl s_server and s_client over a Unix socket) that take the good ones and
# refuse each bad one. Needs no build.
# Usage: tests/scripts/make_certs_checks.sh
set -euo pipefail
export LC_ALL=C  # one sort order for the listings compared

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
make_certs=$repo/scripts/make-certs.sh
make_bad_certs=$repo/tests/support/make-bad-certs.sh
scratch=$(mktemp -d /tmp/tp0-certs-XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2> /dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

failures=0
passes=0
pass() { passes=$((passes + 1)); echo "[certs] ok: $*"; }
fail() { failures=$((failures + 1)); echo "[certs] FAILED: $*"; }
check() {  # <what> <command...>: passes when the command succeeds
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
report() {  # <what> [problem...]: passes when there is none
  local what=$1
  shift
  if [ $# -eq 0 ]; then
    pass "$what"
  else
    fail "$what"
    printf '  %s\n' "$@"
  fi
}

# run <arguments...>: runs make-certs.sh, keeping its status, output and errors in $code,
# $out and $err.
run() {
  code=0
  "$make_certs" "$@" > "$scratch/stdout" 2> "$scratch/stderr" || code=$?
  out=$(cat "$scratch/stdout")
  err=$(cat "$scratch/stderr")
}

# Every file under a folder with its mode and its digest, one per line.
fingerprint() {
  (cd "$1" && find . -type f -printf '%m %p\n' | sort | while read -r mode file; do
    echo "$mode $file $(sha256sum < "$file" | cut -c1-64)"
  done)
}
modes() { (cd "$1" && find . -printf '%m %p\n' | sort); }
days_valid() {  # <cert>: whole days from notBefore to notAfter
  local start end
  start=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
  end=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
  echo $(((end - start) / 86400))
}
verify() {  # <ca> <cert> [openssl verify options...]: openssl verify's output
  local ca=$1 cert=$2
  shift 2
  openssl verify -CAfile "$ca" "$@" "$cert" 2>&1 || true
}
same_file() { cmp -s "$1" "$2"; }
text_of() { openssl x509 -in "$1" -noout -text; }

check_fresh_folder() {
  local d=$scratch/fresh
  run "$d" 3
  check "fresh run: exit 0, one summary line, nothing on stderr" \
    test "$code:$out:$err" = "0:make-certs: $d: CA made; server made; agencies: 3 made, 0 kept:"
  local expected
  expected=$(
    cat <<'MODES'
./agency-1/agency.crt 644
./agency-1/agency.key 600
./agency-1/ca.crt 644
./agency-2/agency.crt 644
./agency-2/agency.key 600
./agency-2/ca.crt 644
./agency-3/agency.crt 644
./agency-3/agency.key 600
./agency-3/ca.crt 644
./ca.crt 644
./ca/ca.key 600
./server/ca.crt 644
./server/server.crt 644
./server/server.key 600
MODES
  )
  check "fresh run: the layout of the contract, keys 0600, certificates 0644" \
    test "$(cd "$d" && find . -type f -printf '%p %m\n' | sort)" = "$expected"
  check "the CA's key is in a folder of its own, 0700" test "$(stat -c %a "$d/ca")" = 700

  local ca=$d/ca.crt problems=()
  [[ $(verify "$ca" "$ca") == *": OK" ]] || problems+=("the CA does not verify itself")
  text_of "$ca" | grep -q 'CA:TRUE' || problems+=("the CA is not CA:TRUE")
  local days
  days=$(days_valid "$ca")
  [ "$days" -ge 3640 ] && [ "$days" -le 3660 ] || problems+=("the CA lasts $days days")
  for folder in server agency-1 agency-2 agency-3; do
    same_file "$d/$folder/ca.crt" "$ca" || problems+=("$folder/ca.crt is not the CA's")
  done
  report "the CA: self-signed, CA:TRUE, 10 years, copied into each folder" "${problems[@]}"

  problems=()
  local server=$d/server/server.crt
  [[ $(verify "$ca" "$server" -purpose sslserver -verify_hostname server) == *": OK" ]] || problems+=("not a server for 'server'")
  [[ $(verify "$ca" "$server" -purpose sslserver -verify_hostname localhost) == *": OK" ]] || problems+=("not for 'localhost'")
  [[ $(verify "$ca" "$server" -purpose sslserver -verify_ip 127.0.0.1) == *": OK" ]] || problems+=("not for 127.0.0.1")
  [[ $(verify "$ca" "$server" -verify_hostname elsewhere.invalid) == *"hostname mismatch"* ]] || problems+=("names any host")
  openssl x509 -in "$server" -noout -subject | grep -q 'CN = server$' || problems+=("CN is not server")
  [ "$(openssl x509 -in "$server" -noout -ext subjectAltName | tail -1 | tr -d ' ')" = "DNS:server,DNS:localhost,IPAddress:127.0.0.1" ] ||
    problems+=("names $(openssl x509 -in "$server" -noout -ext subjectAltName | tail -1)")
  text_of "$server" | grep -q 'TLS Web Server Authentication' || problems+=("no serverAuth")
  report "the server's certificate: CN server, exactly DNS:server, DNS:localhost, IP:127.0.0.1, serverAuth" "${problems[@]}"

  problems=()
  for id in 1 2 3; do
    local cert=$d/agency-$id/agency.crt
    [[ $(verify "$ca" "$cert" -purpose sslclient) == *": OK" ]] || problems+=("agency-$id is not a client of the CA")
    [[ $(verify "$ca" "$cert" -purpose sslserver) != *": OK" ]] || problems+=("agency-$id passes for a server")
    openssl x509 -in "$cert" -noout -subject | grep -q "CN = agency-$id\$" || problems+=("agency-$id's CN")
  done
  report "each agency's certificate: CN agency-<id>, clientAuth only, signed by the CA" "${problems[@]}"

  problems=()
  for cert in "$server" "$d"/agency-*/agency.crt; do
    local text
    text=$(text_of "$cert")
    grep -q 'CA:FALSE' <<< "$text" || problems+=("$cert is not CA:FALSE")
    grep -q 'Key Usage: critical' <<< "$text" || problems+=("$cert has no critical keyUsage")
    grep -q 'NIST CURVE: P-256' <<< "$text" || problems+=("$cert's key is not P-256")
    grep -q 'Signature Algorithm: ecdsa-with-SHA256' <<< "$text" || problems+=("$cert is not signed with SHA-256")
    days=$(days_valid "$cert")
    [ "$days" -ge 725 ] && [ "$days" -le 735 ] || problems+=("$cert lasts $days days")
  done
  for key in "$d"/server/server.key "$d"/agency-*/agency.key "$d"/ca/ca.key; do
    openssl pkey -in "$key" -noout -text 2> /dev/null | grep -q 'NIST CURVE: P-256' || problems+=("$key is not a P-256 key")
  done
  report "leaves: CA:FALSE, critical keyUsage, P-256 keys, SHA-256, 2 years" "${problems[@]}"
}

check_rerun_and_additions() {
  local d=$scratch/fresh before
  before=$(fingerprint "$d")
  run "$d" 3
  check "second run: nothing made, all kept" \
    test "$code:$out:$err" = "0:make-certs: $d: CA kept; server kept; agencies: 0 made, 3 kept:"
  check "second run: every file byte-identical, same modes" test "$(fingerprint "$d")" = "$before"

  run "$d" 3 7 7
  check "adding agency 7 (named twice) beside 3: one made, one kept" \
    test "$code:$out" = "0:make-certs: $d: CA kept; server kept; agencies: 1 made, 1 kept"
  check "adding an agency leaves the others' files as they were" \
    test "$(fingerprint "$d" | grep -v ' ./agency-7/')" = "$before"
  check "the added agency is signed by the same CA" \
    test "$(verify "$d/ca.crt" "$d/agency-7/agency.crt" -purpose sslclient)" = "$d/agency-7/agency.crt: OK"
  check "no working folder is left behind" test -z "$(find "$d" -maxdepth 1 -name '.*' ! -name .)"

  local old_ca=$scratch/old-ca.crt before_modes
  cp "$d/ca.crt" "$old_ca"
  before=$(fingerprint "$d")
  before_modes=$(modes "$d")
  run --new-ca "$d" 2
  check "--new-ca: the CA, the server and every agency folder there (1, 2, 3, 7) renewed" \
    test "$code:$out" = "0:make-certs: $d: CA, server and 4 agencies renewed"
  local changed=0 total=0 line
  while read -r line; do
    total=$((total + 1))
    grep -qxF -- "$line" <<< "$before" || changed=$((changed + 1))
  done < <(fingerprint "$d")
  check "--new-ca: every file changed ($changed of $total)" test "$changed" = "$total"
  local problems=()
  for cert in "$d"/server/server.crt "$d"/agency-{1,2,3,7}/agency.crt; do
    [[ $(verify "$d/ca.crt" "$cert") == *": OK" ]] || problems+=("$cert not signed by the new CA")
    [[ $(verify "$old_ca" "$cert") != *": OK" ]] || problems+=("$cert still passes with the old CA")
    same_file "$(dirname "$cert")/ca.crt" "$d/ca.crt" || problems+=("$(dirname "$cert")/ca.crt is the old CA")
  done
  report "--new-ca: every certificate signed by the new CA only" "${problems[@]}"
  check "--new-ca: the same folders and files, with the same modes" test "$(modes "$d")" = "$before_modes"

  run "$scratch/zero" 0
  check "N = 0: the CA and the server only" \
    test "$code:$out:$(cd "$scratch/zero" && find . -type f | sort | tr '\n' ' ')" = \
    "0:make-certs: $scratch/zero: CA made; server made; agencies: 0 made, 0 kept:./ca.crt ./ca/ca.key ./server/ca.crt ./server/server.crt ./server/server.key "
}

# serial_of <cert>
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

check_revoke_and_renew() {
  local d=$scratch/revoke
  "$make_certs" "$d" 3 > /dev/null
  local before old_serial
  before=$(fingerprint "$d")
  old_serial=$(serial_of "$d/agency-2/agency.crt")
  run --revoke "$d" 2
  check "--revoke: exit 0, one summary line" test "$code:$out:$err" = "0:make-certs: $d: agency 2 revoked; crl.pem lists 1:"
  check "--revoke: the list in DIR and in the server's folder, 0644, the same" \
    test "$(stat -c %a "$d/crl.pem"):$(stat -c %a "$d/server/crl.pem")" = "644:644"
  check "--revoke: the server's copy is DIR's" same_file "$d/crl.pem" "$d/server/crl.pem"
  check "--revoke: no certificate or key changed" \
    test "$(fingerprint "$d" | grep -v -e ' ./crl.pem ' -e ' ./server/crl.pem ' -e ' ./ca/index')" = "$before"
  check "--revoke: agency 2 refused against the list" \
    grep -q "certificate revoked" <<< "$(verify "$d/ca.crt" "$d/agency-2/agency.crt" -crl_check -CRLfile "$d/crl.pem")"
  check "--revoke: agency 1 still passes against the list" \
    test "$(verify "$d/ca.crt" "$d/agency-1/agency.crt" -crl_check -CRLfile "$d/crl.pem")" = "$d/agency-1/agency.crt: OK"
  run --revoke "$d" 2
  check "--revoke again: the same single entry" test "$code:$out" = "0:make-certs: $d: agency 2 revoked; crl.pem lists 1"
  check "--revoke again: the list names the serial once" \
    test "$(openssl crl -in "$d/crl.pem" -noout -text | grep -c "Serial Number: $old_serial")" = 1

  before=$(fingerprint "$d")
  run --renew "$d" 2
  check "--renew: exit 0, one summary line" test "$code:$out:$err" = "0:make-certs: $d: agency 2 renewed:"
  check "--renew: only agency 2's key and certificate changed" \
    test "$(fingerprint "$d" | grep -v -e ' ./agency-2/agency.crt ' -e ' ./agency-2/agency.key ')" = \
    "$(grep -v -e ' ./agency-2/agency.crt ' -e ' ./agency-2/agency.key ' <<< "$before")"
  check "--renew: a new key, 0600" test "$(fingerprint "$d" | grep ' ./agency-2/agency.key ')" != \
    "$(grep ' ./agency-2/agency.key ' <<< "$before")" -a "$(stat -c %a "$d/agency-2/agency.key")" = 600
  check "--renew: a new serial" test "$(serial_of "$d/agency-2/agency.crt")" != "$old_serial"
  check "--renew: the new certificate passes against the list" \
    test "$(verify "$d/ca.crt" "$d/agency-2/agency.crt" -crl_check -CRLfile "$d/crl.pem")" = "$d/agency-2/agency.crt: OK"

  expect_error "--revoke of an agency without a certificate" "agency 9 has no certificate to revoke" --revoke "$d" 9
  "$make_certs" "$scratch/no-ca" 0 > /dev/null
  rm -rf "$scratch/no-ca/ca" "$scratch/no-ca/ca.crt" "$scratch/no-ca/server"
  expect_error "--renew without a CA" "holds no CA" --renew "$scratch/no-ca" 1
  check "--renew without a CA makes nothing" test -z "$(ls -A "$scratch/no-ca")"

  run --new-ca "$d" 3
  check "--new-ca: the list of the old CA goes" test "$code:$(ls "$d"/crl.pem "$d"/server/crl.pem 2> /dev/null)" = "0:"
}

check_arguments() {
  local args
  for args in "" "DIR" "DIR abc" "DIR -1" "DIR 1.5" "DIR 10001" "DIR 1 0" "DIR 1 4294967296" "DIR 12345678901" "--new-ca" "--new-ca DIR" "DIR --new-ca 3" \
    "--revoke DIR" "--revoke DIR 1 2" "--revoke DIR 0" "--renew DIR" "--renew DIR 1 2" "--renew DIR abc"; do
    local code=0
    # shellcheck disable=SC2086  # each case is a word list on purpose
    (cd "$scratch" && "$make_certs" $args > stdout 2> stderr) || code=$?
    if [ "$code" = 2 ] && [ "$(wc -l < "$scratch/stderr")" = 1 ] && grep -q '^usage: ' "$scratch/stderr" &&
      [ ! -s "$scratch/stdout" ] && [ ! -e "$scratch/DIR" ]; then
      pass "make-certs.sh '$args': a usage line, exit 2, nothing written"
    else
      fail "make-certs.sh '$args': exit $code, stderr '$(cat "$scratch/stderr")'"
      rm -rf "$scratch/DIR"
    fi
  done
}

# expect_error <what> <text in the message> <make-certs arguments...>
expect_error() {
  local what=$1 text=$2
  shift 2
  run "$@"
  if [ "$code" = 1 ] && [ -z "$out" ] && [ "$(wc -l <<< "$err")" = 1 ] && [[ $err == "make-certs: "*"$text"* ]]; then
    pass "$what: one line, exit 1 ('$err')"
  else
    fail "$what: exit $code, stdout '$out', stderr '$err'"
  fi
}

check_errors() {
  local d=$scratch/errors
  "$make_certs" "$d" 2 > /dev/null
  rm "$d/agency-2/agency.key"
  expect_error "an agency folder without its key" "$d/agency-2 lacks agency.key" "$d" 2
  rm -rf "$d/agency-2"
  mv "$d/ca/ca.key" "$scratch/ca.key"
  expect_error "a missing agency, and the CA without its key" "$d/ca/ca.key" "$d" 2
  check "nothing is made without the CA's key" test ! -e "$d/agency-2"
  run "$d" 1
  check "nothing to make: no CA key needed" test "$code:$out" = "0:make-certs: $d: CA kept; server kept; agencies: 0 made, 1 kept"
  "$make_certs" "$scratch/other" 0 > /dev/null
  cp "$scratch/other/ca/ca.key" "$d/ca/ca.key"
  expect_error "a CA key that is not the CA's" "is not the key of $d/ca.crt" "$d" 2
  rm -rf "$d/ca" "$d/ca.crt"
  expect_error "certificates whose CA is gone" "holds certificates but not the CA" "$d" 2
  : > "$scratch/a-file"
  expect_error "DIR is a file" "is not a folder" "$scratch/a-file" 1
}

# handshake <server folder> <cert> <key> <client folder> <cert> <key> <name the client dials>:
# one TLS 1.3 connection, the server asking for a client certificate signed by the round's
# CA, the client checking the server's against it and the name. Sets $reply (the first line
# the client got back: the server's page only if both sides took the other) and $client_err.
handshake() {
  local sock=$scratch/tls.sock
  rm -f "$sock"
  timeout 20 openssl s_server -unix "$sock" -naccept 1 -www -tls1_3 -Verify 1 -verify_return_error \
    -CAfile "$ca" -cert "$1/$2" -key "$1/$3" > "$scratch/server.out" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + 20))
  until [ -S "$sock" ]; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$server_pid" 2> /dev/null; then
      fail "openssl s_server did not listen: $(head -3 "$scratch/server.out")"
      return 1
    fi
    sleep 0.05
  done
  printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -unix "$sock" -quiet -tls1_3 -verify_return_error \
    -verify_hostname "$7" -CAfile "$ca" -cert "$4/$5" -key "$4/$6" > "$scratch/client.out" 2> "$scratch/client.err" || true
  wait "$server_pid" 2> /dev/null || true
  server_pid=""
  reply=$(head -1 "$scratch/client.out" | tr -d '\r')
  client_err=$(cat "$scratch/client.err")
}

# expect_refused <what> <text in the client's errors> <handshake arguments...>
expect_refused() {
  local what=$1 text=$2
  shift 2
  handshake "$@" || return 0
  if [ -z "$reply" ] && [[ $client_err == *"$text"* ]]; then
    pass "TLS: $what is refused ($text)"
  else
    fail "TLS: $what: reply '$reply', client: $(grep -v '^depth=\|^verify return' <<< "$client_err" | head -2)"
  fi
}

check_bad_certs_and_handshakes() {
  local d=$scratch/tls
  "$make_certs" "$d" 2 > /dev/null
  local summary
  summary=$("$make_bad_certs" "$d" 2)
  check "make-bad-certs.sh: one summary line" test "$(wc -l <<< "$summary")" = 1
  ca=$d/ca.crt
  local bad=$d/bad
  check "expired agency: openssl verify says the certificate has expired" \
    grep -q 'certificate has expired' <<< "$(verify "$ca" "$bad/expired-agency-2/agency.crt")"
  check "expired agency: CN agency-2, signed by the round's CA (it verifies when dates are not checked)" \
    test "$(openssl x509 -in "$bad/expired-agency-2/agency.crt" -noout -subject):$(verify "$ca" "$bad/expired-agency-2/agency.crt" -no_check_time)" = \
    "subject=O = TP0, CN = agency-2:$bad/expired-agency-2/agency.crt: OK"
  check "expired agency: valid only in January 2020" \
    test "$(openssl x509 -in "$bad/expired-agency-2/agency.crt" -noout -enddate)" = "notAfter=Feb  1 00:00:00 2020 GMT"
  check "untrusted agency: openssl verify cannot find its issuer" \
    grep -q 'unable to get local issuer certificate' <<< "$(verify "$ca" "$bad/untrusted-agency-2/agency.crt")"
  check "untrusted server: openssl verify cannot find its issuer" \
    grep -q 'unable to get local issuer certificate' <<< "$(verify "$ca" "$bad/untrusted-server/server.crt")"
  check "wrong-name server: signed by the CA, but not for 'server'" \
    test "$(verify "$ca" "$bad/wrong-name-server/server.crt" | tail -1):$(verify "$ca" "$bad/wrong-name-server/server.crt" -verify_hostname server | grep -c 'hostname mismatch')" = \
    "$bad/wrong-name-server/server.crt: OK:1"
  check "make-bad-certs.sh: keys 0600" \
    test "$(find "$bad" -name '*.key' -printf '%m\n' | sort -u)" = 600

  local name
  for name in server localhost; do
    handshake "$d/server" server.crt server.key "$d/agency-1" agency.crt agency.key "$name" || continue
    check "TLS 1.3: agency-1 and the server take each other, dialing '$name'" test "$reply" = "HTTP/1.0 200 ok"
  done
  expect_refused "an expired agency certificate" "certificate expired" \
    "$d/server" server.crt server.key "$bad/expired-agency-2" agency.crt agency.key server
  expect_refused "an agency certificate from another CA" "unknown ca" \
    "$d/server" server.crt server.key "$bad/untrusted-agency-2" agency.crt agency.key server
  expect_refused "a server certificate from another CA" "unable to get local issuer certificate" \
    "$bad/untrusted-server" server.crt server.key "$d/agency-1" agency.crt agency.key server
  expect_refused "a server certificate for another name" "hostname mismatch" \
    "$bad/wrong-name-server" server.crt server.key "$d/agency-1" agency.crt agency.key server
  expect_refused "an agency's certificate passing for the server" "unsuitable certificate purpose" \
    "$d/agency-2" agency.crt agency.key "$d/agency-1" agency.crt agency.key server
}

check_fresh_folder
check_rerun_and_additions
check_arguments
check_revoke_and_renew
check_errors
check_bad_certs_and_handshakes
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
