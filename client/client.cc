#include "client/client.h"

#include <exception>
#include <memory>

#include "client/echo_client.h"
#include "client/lottery_client.h"
#include "client/server_link.h"
#include "common/logging/logging.h"
#include "common/net/address.h"
#include "common/net/errors.h"
#include "common/tls/context.h"
#include "common/tls/session.h"

namespace tp0::client {
namespace {

using config::ClientMode;
using logging::Event;
using logging::Result;

// Runs `mode` and closes `client`'s resources on every way out.
template <typename Client, typename Mode>
int run_mode(Client& client, const config::ClientConfig& config, Mode mode) {
  try {
    mode();
    client.close();
    return 0;
  } catch (const net::ShutdownRequested&) {
    client.close();
    logging::info(Event("shutdown", Result::kSuccess).with("client_id", config.id));
    return 0;
  } catch (const std::exception& error) {
    logging::error(Event(config::to_string(config.mode), Result::kFail)
                       .with("client_id", config.id)
                       .with("error", error.what()));
    client.close();
    return 1;
  }
}

// CLI_TLS: chosen here once, and never looked at again. With TLS, the server's certificate
// is checked against the CA and the name or address dialed, and the handshake is done
// within server.timeout; the one context keeps the last session the server gave, so that
// the next connection resumes it. Without TLS, a warning says what that costs, as the
// server's does.
Handshake handshake_for(const config::ClientConfig& config) {
  if (!config.tls) {
    logging::warning(Event("tls", Result::kSuccess)
                         .with("client_id", config.id)
                         .with("enabled", "no")
                         .with("warning", "CLI_TLS=off: bets and winners cross the network in clear"));
    return [](net::Connection& /*connection*/) { return true; };
  }
  return [context = std::make_shared<tls::Context>(tls::Context::Side::kClient, *config.tls),
          host = net::split_host_port(config.server_address).host,
          timeout = reply_timeout(config)](net::Connection& connection) {
    connection.set_deadline(timeout);
    try {
      tls::connect(connection, *context, host);
    } catch (const net::IdleTimeout&) {
      throw;  // a silent server, not a busy one
    } catch (const net::NetError&) {
      return false;
    }
    connection.set_deadline(std::nullopt);
    return true;
  };
}

}  // namespace

int run_client(const config::ClientConfig& config) {
  logging::info(config::config_line(config));
  if (config.mode == ClientMode::kEcho) {
    EchoClient client(config);
    return run_mode(client, config, [&] { client.run(); });
  }
  LotteryClient client(config, handshake_for(config));
  const int code = run_mode(client, config, [&] {
    if (config.mode == ClientMode::kBet) return client.send_single_bet();
    client.send_agency_file();
    if (config.mode == ClientMode::kLottery) {
      client.fetch_winners();
      client.log_summary();
    }
  });
  if (code == 0 && client.rejected_rows() > 0) {
    logging::error(Event("read_bets", Result::kFail)
                       .with("client_id", config.id)
                       .with("rejected_rows", client.rejected_rows()));
    return 1;
  }
  return code;
}

}  // namespace tp0::client
