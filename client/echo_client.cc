#include "client/echo_client.h"

#include <chrono>
#include <string>

#include "client/server_link.h"
#include "common/logging/logging.h"
#include "common/net/errors.h"
#include "common/net/line_io.h"
#include "common/sys/signals.h"

namespace tp0::client {
namespace {

using logging::Event;
using logging::Result;

constexpr std::size_t kMaxReplyBytes = 8192;

}  // namespace

void EchoClient::run() {
  for (std::uint32_t n = 1; n <= config_.loop_amount; ++n) {
    const std::string message =
        "[CLIENT " + std::to_string(config_.id) + "] Message N°" + std::to_string(n) + "\n";
    std::string reply;
    with_reconnects(
        config_, reconnects_, [&] { reply = exchange(message); },
        [this] {
          if (connection_) connection_->close_quietly();
          connection_.reset();
        });
    logging::info(Event("receive_message", Result::kSuccess)
                      .with("client_id", config_.id)
                      .with("msg", std::string_view(reply).substr(0, reply.find_first_of("\r\n"))));
    const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(config_.loop_period);
    if (!sys::sleep_unless_shutdown(period)) throw net::ShutdownRequested();
  }
  logging::info(Event("loop_finished", Result::kSuccess).with("client_id", config_.id));
}

std::string EchoClient::exchange(const std::string& message) {
  connection_ = connect_with_retry(config_, reconnects_);
  connection_->set_deadline(reply_timeout(config_));
  connection_->write_all(std::as_bytes(std::span(message)));
  std::string reply = net::read_line(*connection_, kMaxReplyBytes);
  if (reply.empty()) throw net::PeerClosed("server closed the connection without answering");
  connection_->close();
  connection_.reset();
  reconnects_.succeeded();
  return reply;
}

void EchoClient::close() {
  if (!connection_) return;
  const std::string peer = connection_->peer();
  connection_->close();
  connection_.reset();
  logging::info(Event("close_connection", Result::kSuccess).with("ip", peer));
}

}  // namespace tp0::client
