#include "common/net/address.h"

#include <stdexcept>

#include "common/text/decimal.h"

namespace tp0::net {

HostPort split_host_port(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    throw std::invalid_argument("\"" + std::string(address) + "\" is not host:port");
  }
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find_first_of("[]:") != std::string_view::npos) {
    throw std::invalid_argument("\"" + std::string(address) +
                                "\" is not host:port (an IPv6 host goes in brackets)");
  }
  if (host.empty()) throw std::invalid_argument("\"" + std::string(address) + "\" has no host");

  const auto number = text::parse_decimal<std::uint16_t>(port);
  if (!number || *number == 0) {
    throw std::invalid_argument("\"" + std::string(address) + "\" does not end in a port from 1 to 65535");
  }
  return HostPort{std::string(host), std::string(port)};
}

}  // namespace tp0::net
