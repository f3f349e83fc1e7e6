// Any bytes as what a peer sends on a connection, then closes: the frame reader yields
// frames within the limit, each decoded or refused, and ends with a clean close or one
// of the errors it documents; nothing else escapes.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "common/net/connection.h"
#include "common/net/errors.h"
#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "common/protocol/frame.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == -1) {
    fuzz::property_failed("socketpair failed");
  }
  net::Connection connection{sys::UniqueFd(ends[0]), "fuzz-peer"};
  {
    // The socket buffer holds far more than the fuzzer's -max_len, so this never blocks.
    sys::UniqueFd peer(ends[1]);
    if (size > 0 && ::write(peer.get(), data, size) != static_cast<ssize_t>(size)) {
      fuzz::property_failed("writing the input to the socket failed");
    }
  }
  protocol::FrameReader reader;
  try {
    while (const auto body = reader.next(connection)) {
      if (body->empty() || body->size() > protocol::kMaxBodyBytes) {
        fuzz::property_failed("a frame body outside 1..kMaxBodyBytes was returned");
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
