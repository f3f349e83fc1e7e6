#include "client/server_link.h"

#include <algorithm>

#include "common/logging/logging.h"
#include "common/net/address.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/sys/signals.h"

namespace tp0::client {
namespace {

constexpr std::chrono::milliseconds kFirstPause{50};
constexpr std::chrono::milliseconds kLongestPause{1000};

}  // namespace

net::Connection connect_with_retry(const std::string& address, std::chrono::milliseconds patience) {
  const net::HostPort server = net::split_host_port(address);
  const auto give_up = std::chrono::steady_clock::now() + patience;
  auto pause = kFirstPause;
  while (true) {
    try {
      return net::connect_to(server.host, server.port);
    } catch (const net::NetError& error) {
      if (std::chrono::steady_clock::now() + pause > give_up) throw;
      logging::info(logging::Event("connect", logging::Result::kInProgress)
                        .with("server_address", address)
                        .with("error", error.what()));
    }
    if (!sys::sleep_unless_shutdown(pause)) throw net::ShutdownRequested();
    pause = std::min(pause * 2, kLongestPause);
  }
}

}  // namespace tp0::client
