// Any bytes as what a peer sends on a connection, then closes: the frame reader yields
// frames within the limit, each decoded or refused, and ends with a clean close or one
// of the errors it documents; anything else escapes and crashes the fuzzer.
//
// No signal handlers are installed: Connection's waits also poll the self-pipe, whose
// descriptor is then -1, which poll(2) skips, so they wait on the socket alone.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/net/connection.h"
#include "common/net/errors.h"
#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "common/protocol/frame.h"
#include "fuzz/fuzz_input.h"

namespace {

// The whole input is written before anything is read, so it must fit in the socket's
// buffer (about 200 KiB); scripts/run-fuzzers.sh passes -max_len 20000.
constexpr std::size_t kMaxInputBytes = std::size_t{64} * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
  if (size > kMaxInputBytes) return 0;
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == -1) {
    fuzz::property_failed(std::string("socketpair: ") + std::strerror(errno));
  }
  net::Connection connection{sys::UniqueFd(ends[0]), "fuzz-peer"};
  {
    sys::UniqueFd peer(ends[1]);
    if (size > 0 && ::write(peer.get(), data, size) != static_cast<ssize_t>(size)) {
      fuzz::property_failed(std::string("writing the input to the socket: ") + std::strerror(errno));
    }
  }
  protocol::FrameReader reader;
  try {
    while (const auto body = reader.next(connection)) {
      if (body->empty() || body->size() > protocol::kMaxBodyBytes) {
        fuzz::property_failed("a frame body of " + std::to_string(body->size()) +
                              " bytes, outside 1..kMaxBodyBytes, was returned");
      }
      try {
        protocol::decode(*body);
      } catch (const protocol::ProtocolError&) {
      }
    }
  } catch (const protocol::ProtocolError&) {
  } catch (const net::PeerClosed&) {
  }
  return 0;
}
