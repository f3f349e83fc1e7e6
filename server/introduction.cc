#include "server/introduction.h"

#include <vector>

#include "common/logging/logging.h"
#include "common/protocol/codec.h"
#include "common/tls/session.h"

namespace tp0::server {

using logging::Event;
using logging::Result;

PlainHello::PlainHello() {
  logging::warning(Event("tls", Result::kSuccess)
                       .with("enabled", "no")
                       .with("warning",
                             "SERVER_TLS=off: bets and winners cross the network in clear, and any "
                             "peer may speak for any agency"));
}

void PlainHello::refuse(net::Connection& connection) const {
  std::vector<std::byte> frame;
  protocol::encode(protocol::Ack{protocol::AckCode::kServerBusy, 0}, frame);
  connection.write_all(frame);
}

std::unique_ptr<Proof> TlsHandshake::introduce(net::Connection& connection) const {
  return std::make_unique<CertifiedAgency>(tls::accept(connection, context_));
}

void TlsHandshake::end_for_shutdown(net::Connection& connection) const {
  const std::string peer = connection.peer();
  connection.close();
  logging::info(Event("close_tls_session", Result::kSuccess).with("ip", peer).with("reason", "shutdown"));
}

}  // namespace tp0::server
