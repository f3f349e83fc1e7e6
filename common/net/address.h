#pragma once

#include <string>
#include <string_view>

namespace tp0::net {

struct HostPort {
  std::string host;
  std::string port;
};

// Splits "host:port" or "[v6-address]:port". Throws std::invalid_argument when either
// part is missing or the port is not a number from 1 to 65535.
HostPort split_host_port(std::string_view address);

// The network an address (as accept() reports it: "192.0.2.7", "2001:db8::1") belongs
// to, as one party is likely to hold it: its /24 for IPv4 ("192.0.2.0/24"), its /64 for
// IPv6 ("2001:db8::/64"), an IPv4-mapped IPv6 address counting as the IPv4 one. Anything
// else is returned unchanged, a network of its own.
std::string network_of(const std::string& address);

}  // namespace tp0::net
