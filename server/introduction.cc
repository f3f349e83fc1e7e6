#include "server/introduction.h"

#include <vector>

#include "common/logging/logging.h"
#include "common/protocol/codec.h"
#include "common/protocol/frame.h"
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

bool PlainHello::first_message_arrived(const net::Connection& connection) const {
  return connection.holds_whole_message(protocol::kFrameHeaderBytes, protocol::kFrameHeaderBytes);
}

bool TlsHandshake::first_message_arrived(const net::Connection& connection) const {
  // A TLS record's header: its type, version (2 bytes) and the body's length (2 bytes).
  return connection.holds_whole_message(5, 2);
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
