#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging/logging.h"
#include "common/tls/credentials.h"
#include "config/config_error.h"
#include "config/durability.h"
#include "config/environment.h"

namespace tp0::config {

enum class ServerMode { kEcho, kLottery };
enum class Concurrency { kSequential, kProcess };
// What a lottery server does with a round it finds on disk (a bets file and its journal).
enum class RoundStart { kResume, kNew };
using storage::Durability;

// "echo" or "lottery".
std::string_view to_string(ServerMode mode);
// "sequential" or "process".
std::string_view to_string(Concurrency concurrency);

// Every setting of the server. Each is read from the [DEFAULT] section of config.ini
// and from the environment variable of the same name; the member initializers are the
// defaults.
struct ServerConfig {
  std::uint16_t port = 12345;                            // SERVER_PORT, 0 lets the OS choose (tests)
  std::string ip = "server";                             // SERVER_IP, non-empty
  int listen_backlog = 5;                                // SERVER_LISTEN_BACKLOG, >= 1
  logging::Level logging_level = logging::Level::kInfo;  // LOGGING_LEVEL
  ServerMode mode = ServerMode::kLottery;                // SERVER_MODE
  Concurrency concurrency = Concurrency::kProcess;       // SERVER_CONCURRENCY
  // The round's agencies, sorted ascending: only these may take part, and all of them
  // must finish before the draw. SERVER_AGENCY_IDS, e.g. "3,7,12": comma-separated
  // decimal ids from 1 to 4294967295, spaces around each allowed, no empty item, no
  // duplicates, 1 to 10000 of them. When it is unset: 1 .. SERVER_AGENCIES, a count from
  // 0 to 10000 (0: empty, the draw at start); when both are set, the count must agree.
  std::vector<std::uint32_t> agency_ids = {1, 2, 3, 4, 5};
  std::string storage_path = "./bets.csv";  // STORAGE_FILEPATH, non-empty
  // SERVER_IDLE_TIMEOUT, a Go duration > 0 (rounded up to whole milliseconds): a
  // connection silent that long in the middle of a conversation is dropped.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  // SERVER_HELLO_TIMEOUT, a Go duration > 0 (rounded up to whole milliseconds): a new
  // connection that has not introduced itself (a whole first message) within this long
  // is dropped, so silent connections cannot hold the server's capacity.
  std::chrono::milliseconds hello_timeout = std::chrono::seconds(3);
  // SERVER_FRAME_TIMEOUT, a Go duration > 0 (rounded up to whole milliseconds): once the
  // first byte of a message has come, the rest must come within this long, and every
  // answer the server sends must be taken within this long, so a peer that trickles its
  // bytes or reads slowly cannot hold a connection (or, sequentially, the server).
  std::chrono::milliseconds frame_timeout = std::chrono::seconds(5);
  // SERVER_CONVERSATION_BUDGET, a Go duration > 0 (rounded up to whole milliseconds): in
  // sequential mode, how long a conversation may last from its Hello while the others
  // wait. Past it the server answers the messages it has read and ends the conversation;
  // the client resumes on a new one. The course's agencies each send their whole file in
  // well under a second: 5 s leaves them room, and a peer that says something now and
  // then still holds the server for no longer.
  std::chrono::milliseconds conversation_budget = std::chrono::seconds(5);
  // SERVER_MAX_CHILDREN, >= 1 (>= 2 for a process lottery server): in process mode, the
  // children the server runs at once, the lottery's waiting room among them; a connection
  // beyond them is refused instead of forked: it is closed, after a busy Ack in plain
  // lottery mode.
  std::uint32_t max_children = 64;
  // SERVER_MAX_INTRODUCTIONS_PER_NETWORK, >= 1: in process mode, the connections from one
  // network (an IPv4 /24, an IPv6 /64) that may be introducing themselves at once (TLS
  // handshake and Hello), within the half of SERVER_MAX_CHILDREN all such connections
  // share; one more displaces the oldest of them. A connection that has proved which
  // member it is no longer counts.
  std::uint32_t max_introductions_per_network = 16;
  // SERVER_INTRODUCTIONS_PER_SECOND, >= 1: in process mode, the new connections one
  // network may open a second, as many at once; one more is refused before any fork.
  std::uint32_t introductions_per_second = 200;
  // SERVER_REPLACE_INTERVAL, a Go duration >= 0 (rounded up to whole milliseconds): in
  // process mode, a member's conversation is replaced by a newer one at most once per
  // this long; inside it the newer one is ended.
  std::chrono::milliseconds replace_interval = std::chrono::seconds(1);
  // SERVER_MAX_BETS_PER_AGENCY, 1..4294967295 (positions are 32-bit on the wire): the
  // most bets the server stores of one agency; a bet or batch that would pass it is
  // refused (Ack code 9) and the conversation ends, so one agency cannot fill the disk.
  std::uint32_t max_bets_per_agency = 10'000'000;
  // SERVER_ROUND: resume (a round found on disk goes on where it was) or new (it is
  // archived, and a new round starts empty).
  RoundStart round = RoundStart::kResume;
  // SERVER_DURABILITY: process or machine (see Durability).
  Durability durability = Durability::kProcess;
  // SERVER_TLS (on or off, default on): in lottery mode, every connection is TLS 1.3 and
  // the client's certificate, signed by the CA, names the agency it may speak for.
  // nullopt when off, and always in echo mode (plain text, for the netcat check). The
  // files must be readable: SERVER_TLS_CERT, SERVER_TLS_KEY (by its owner alone),
  // SERVER_TLS_CA, by default where scripts/make-certs.sh writes them under
  // .data/tls/server/; SERVER_TLS_CRL, the CA's revocation list, by default crl.pem beside
  // SERVER_TLS_CA, where make-certs.sh --revoke writes it: none revoked while it does not
  // exist.
  std::optional<tls::Credentials> tls = tls::Credentials{
      ".data/tls/server/server.crt", ".data/tls/server/server.key", ".data/tls/server/ca.crt"};
};

// Reads the [DEFAULT] section of the INI file at `ini_path` (key names are matched
// case-insensitively, as Python's configparser does; other sections and unknown keys
// are ignored), then lets each variable set in `env` override it. A missing file is not
// an error: the defaults and the environment apply. Numbers are whole decimal numbers
// with nothing around them; LOGGING_LEVEL is DEBUG, INFO, WARNING, ERROR or CRITICAL,
// SERVER_MODE echo or lottery, SERVER_CONCURRENCY sequential or process, SERVER_ROUND
// resume or new, SERVER_DURABILITY process or machine, all in any case;
// SERVER_AGENCY_IDS is a comma-separated list of them, spaces allowed around each.
// A line of the file holds at most 199 characters (what inih reads whole), about 60
// agency ids: a longer SERVER_AGENCY_IDS goes in the environment.
// Throws ConfigError naming the file (unreadable, malformed or too long line) or the setting.
ServerConfig load_server_config(const std::string& ini_path, const Environment& env);

// The line the server logs at start: "action: config | result: success | port: 12345 |
// listen_backlog: 5 | logging_level: DEBUG".
logging::Event config_line(const ServerConfig& config);

}  // namespace tp0::config
