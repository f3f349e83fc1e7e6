#include "client/server_link.h"

#include <algorithm>

#include "common/logging/logging.h"
#include "common/net/address.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/sys/signals.h"

namespace tp0::client {
void Backoff::wait() {
  if (!sys::sleep_unless_shutdown(pause_)) throw net::ShutdownRequested();
  pause_ = std::min(pause_ * 2, longest_);
}

net::Connection connect_with_retry(const std::string& address, std::chrono::milliseconds patience) {
  const net::HostPort server = net::split_host_port(address);
  Backoff backoff(kFirstReconnectPause, kLongestReconnectPause, patience);
  while (true) {
    try {
      return net::connect_to(server.host, server.port);
    } catch (const net::NetError& error) {
      if (backoff.exhausted()) throw;
      logging::info(logging::Event("connect", logging::Result::kInProgress)
                        .with("server_address", address)
                        .with("error", error.what()));
    }
    backoff.wait();
  }
}

}  // namespace tp0::client
