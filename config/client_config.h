#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/logging/logging.h"
#include "common/tls/credentials.h"
#include "config/config_error.h"
#include "config/duration.h"
#include "config/environment.h"

namespace tp0::config {

// Why 146: a bet on the wire takes 15 bytes plus its first name, last name and
// document. In the course's data those three add up to at most 41 bytes, so a bet is at
// most 56 bytes, and a batch frame adds a 15-byte header: 15 + 146 * 56 = 8191, which
// still fits in one 8 KiB (8192-byte) frame.
inline constexpr std::uint32_t kDefaultBatchMaxAmount = 146;

enum class ClientMode { kEcho, kBet, kBatch, kLottery };

// "echo", "bet", "batch" or "lottery".
std::string_view to_string(ClientMode mode);

// The single bet of mode bet, as raw text from the environment (NOMBRE, APELLIDO,
// DOCUMENTO, NACIMIENTO, NUMERO). Validating it is the caller's job.
struct BetSettings {
  std::string first_name;
  std::string last_name;
  std::string document;
  std::string birthdate;
  std::string number;
};

// Every setting of the client. Each member names its key in config.yaml and its
// environment variable; the member initializers are the defaults.
struct ClientConfig {
  std::uint32_t id = 0;                         // id / CLI_ID, required, >= 1
  std::string server_address = "server:12345";  // server.address / CLI_SERVER_ADDRESS
  // How long the client keeps trying to reach the server before it gives up: while it is
  // not accepting yet or says it is busy, and, in modes batch and lottery, after a lost
  // connection (the client then reconnects and resumes where the server says). It starts
  // again after each reconnection the server answered with Resume.
  std::chrono::nanoseconds server_patience =
      std::chrono::seconds(60);  // server.patience / CLI_SERVER_PATIENCE
  // How long each step of a conversation may wait for the server: a connect, the TLS
  // handshake, the answer to each request (the echo line too), and any send or receive
  // making no progress. A server silent that long is a lost connection.
  std::chrono::nanoseconds server_timeout = std::chrono::seconds(10);  // server.timeout / CLI_SERVER_TIMEOUT
  // How long the lottery client waits for the draw, from the server's first answer that it
  // is not held yet (WaitForDraw or NotReady) to its winners. The draw waits for the
  // round's last agency, which may be started by hand minutes after the others: an hour
  // keeps any plausible round and still frees a client whose round never completes.
  std::chrono::nanoseconds server_draw_timeout =
      std::chrono::hours(1);      // server.drawTimeout / CLI_SERVER_DRAWTIMEOUT
  std::uint32_t loop_amount = 5;  // loop.amount / CLI_LOOP_AMOUNT
  std::chrono::nanoseconds loop_period = std::chrono::seconds(5);  // loop.period / CLI_LOOP_PERIOD
  logging::Level log_level = logging::Level::kInfo;                // log.level / CLI_LOG_LEVEL
  std::uint32_t batch_max_amount = kDefaultBatchMaxAmount;         // batch.maxAmount / CLI_BATCH_MAXAMOUNT
  ClientMode mode = ClientMode::kLottery;                          // mode / CLI_MODE
  std::string data_file = "./agency.csv";                          // data.file / CLI_DATA_FILE
  // How long the lottery client waits, once it has its winners, before it logs them
  // (consulta_ganadores) and ends. 0 natively; the generated compose file sets it, for a
  // log stream merged from several containers (see generar-compose.sh).
  std::chrono::nanoseconds winners_log_delay{0};  // winners.logDelay / CLI_WINNERS_LOGDELAY
  std::optional<BetSettings> bet;                 // set only when mode == kBet
  // CLI_TLS (on or off, default on): in modes bet, batch and lottery, TLS 1.3 with this
  // agency's certificate, and the server's checked against the CA and the host of
  // server.address. nullopt when off, and always in mode echo. tls.cert / CLI_TLS_CERT,
  // tls.key / CLI_TLS_KEY (by its owner alone), tls.ca / CLI_TLS_CA must be readable
  // files; by default .data/tls/agency-<id>/agency.crt, agency.key and ca.crt
  // (scripts/make-certs.sh).
  std::optional<tls::Credentials> tls;
};

// Reads the YAML file at `yaml_path` (nested keys: `loop: {period: 1s}` is loop.period),
// then lets each variable set in `env` override it. A missing file is not an error: the
// defaults and the environment apply. In mode bet the five bet variables are required.
// Values are checked strictly: server.address must be host:port (host may be [v6]) with
// a port from 1 to 65535; numbers are whole decimal numbers with nothing around them;
// loop.period and winners.logDelay are non-negative Go durations, server.patience,
// server.timeout and server.drawTimeout positive ones; log.level is DEBUG, INFO, WARNING, ERROR or
// CRITICAL in any case; mode is echo, bet, batch or lottery in any case.
// Throws ConfigError naming the file (unreadable, not YAML, not a mapping) or the
// setting (missing, wrong type or value).
ClientConfig load_client_config(const std::string& yaml_path, const Environment& env);

// The line the client logs at start: "action: config | result: success | client_id: 1 |
// server_address: server:12345 | loop_amount: 5 | loop_period: 100ms | log_level: DEBUG".
logging::Event config_line(const ClientConfig& config);

}  // namespace tp0::config
