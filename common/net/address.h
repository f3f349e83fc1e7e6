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

}  // namespace tp0::net
