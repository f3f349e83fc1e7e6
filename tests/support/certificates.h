#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tp0::testing {

// Makes, under `dir`, what scripts/make-certs.sh makes there: a CA (dir/ca.crt, its key
// in dir/ca/), the server's folder dir/server/ (server.crt, server.key, ca.crt: names
// server, localhost and 127.0.0.1) and, for each of `agencies`, dir/agency-<id>/
// (agency.crt, agency.key, ca.crt: subject CN agency-<id>). What is already there is
// kept, so calling it again for more agencies signs them with the same CA; with no
// agencies it makes the CA and the server's folder only. Any 32-bit id may be given,
// 0 included (which no round has: tests claim it to be refused).
//
// REQUIRES: no other process writes under `dir` meanwhile (calls from threads of one
// process must not overlap). Throws std::runtime_error, with what went wrong, when the
// certificates cannot be made.
void make_certificates(const std::string& dir, std::span<const std::uint32_t> agencies);

}  // namespace tp0::testing
