#include "common/protocol/channel.h"

#include <optional>
#include <string>

#include "common/net/errors.h"
#include "common/protocol/codec.h"

namespace tp0::protocol {

void Channel::flush() {
  if (out_.empty()) return;
  const net::DeadlineGuard send_deadline(connection_, frame_timeout_, "send");
  connection_.write_all(out_);
  out_.clear();
}

std::optional<Message> Channel::receive() {
  if (!reader_.has_frame()) flush();
  const auto body = reader_.next(connection_, frame_timeout_);
  if (!body) return std::nullopt;
  return decode(*body);
}

Message Channel::receive_expected(const char* expected) {
  auto message = receive();
  if (!message) {
    throw net::PeerClosed(connection_.peer() + " closed the connection while " + expected + " was expected");
  }
  return std::move(*message);
}

}  // namespace tp0::protocol
