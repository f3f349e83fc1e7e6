// Any bytes as one frame body: decode() either throws ProtocolError or returns a message
// that encodes back to a body decoding to the same message. The encoding is canonical
// (fixed-width integers, exact counts, flags and codes checked, nothing left over), so
// that body must also be the very bytes decoded.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "common/protocol/frame.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
  // A longer body never leaves a FrameReader, and could not be encoded into one frame.
  if (size > protocol::kMaxBodyBytes) return 0;
  const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data), size);
  protocol::Message message;
  try {
    message = protocol::decode(body);
  } catch (const protocol::ProtocolError&) {
    return 0;
  }
  std::vector<std::byte> frame;
  try {
    protocol::encode(message, frame);
  } catch (const std::exception& error) {
    fuzz::property_failed(std::string("a decoded ") + protocol::name_of(message) +
                          " does not encode: " + error.what());
  }
  const std::span<const std::byte> encoded = std::span(frame).subspan(protocol::kFrameHeaderBytes);
  try {
    if (protocol::decode(encoded) != message) {
      fuzz::property_failed(std::string("a decoded ") + protocol::name_of(message) +
                            " decodes to another message once encoded again");
    }
  } catch (const protocol::ProtocolError& error) {
    fuzz::property_failed(std::string("the encoding of a decoded ") + protocol::name_of(message) +
                          " is refused: " + error.what());
  }
  if (!std::equal(encoded.begin(), encoded.end(), body.begin(), body.end())) {
    fuzz::property_failed(std::string("a decoded ") + protocol::name_of(message) +
                          " encodes to other bytes than it was decoded from");
  }
  return 0;
}
