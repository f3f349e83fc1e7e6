#include "client/handshake.h"

#include "common/net/errors.h"
#include "common/tls/session.h"

namespace tp0::client {

bool TlsHandshake::introduce(net::Connection& connection) {
  connection.set_deadline(timeout_);
  try {
    tls::connect(connection, context_, host_);
  } catch (const net::IdleTimeout&) {
    throw;  // a silent server, not a busy one
  } catch (const net::NetError&) {
    return false;
  }
  connection.set_deadline(std::nullopt);
  return true;
}

}  // namespace tp0::client
