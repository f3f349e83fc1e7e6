#include "common/net/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
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

std::string network_of(const std::string& address) {
  std::array<unsigned char, 16> bytes{};
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
    constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin())) {
      std::fill(bytes.begin() + 8, bytes.end(), 0);
      ::inet_ntop(AF_INET6, bytes.data(), text.data(), text.size());
      return std::string(text.data()) + "/64";
    }
    std::copy(bytes.begin() + 12, bytes.end(), bytes.begin());
  } else if (::inet_pton(AF_INET, address.c_str(), bytes.data()) != 1) {
    return address;
  }
  bytes[3] = 0;
  ::inet_ntop(AF_INET, bytes.data(), text.data(), text.size());
  return std::string(text.data()) + "/24";
}

}  // namespace tp0::net
