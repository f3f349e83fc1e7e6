#pragma once

#include "common/sys/unique_fd.h"

namespace tp0::testing {

// Both ends of one TCP connection over 127.0.0.1, blocking, made in the calling thread
// (the kernel completes the connection before accept): what the TLS unit tests run over.
struct LoopbackPair {
  sys::UniqueFd server;
  sys::UniqueFd client;
};

// Throws std::runtime_error.
LoopbackPair make_loopback_pair();

}  // namespace tp0::testing
