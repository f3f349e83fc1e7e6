#include "common/protocol/channel.h"

#include <string>

#include "common/net/errors.h"
#include "common/protocol/codec.h"

namespace tp0::protocol {

void Channel::send(const Message& message) {
  out_.clear();
  encode(message, out_);
  connection_.write_all(out_);
}

std::optional<Message> Channel::receive() {
  const auto body = reader_.next(connection_);
  if (!body) return std::nullopt;
  return decode(*body);
}

Message Channel::receive_expected(const char* expected) {
  auto message = receive();
  if (!message) {
    throw net::PeerClosed(connection_.peer() + " closed the connection while " + expected +
                          " was expected");
  }
  return std::move(*message);
}

}  // namespace tp0::protocol
