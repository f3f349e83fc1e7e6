// Any bytes as one frame body: decode() either throws ProtocolError or returns a message
// that encodes back to the very same body (the encoding has one form per message).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tp0;
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
    fuzz::property_failed(std::string("a decoded message does not encode: ") + error.what());
  }
  const std::span<const std::byte> encoded = std::span(frame).subspan(protocol::kFrameHeaderBytes);
  if (!std::equal(encoded.begin(), encoded.end(), body.begin(), body.end())) {
    fuzz::property_failed(std::string("a decoded ") + protocol::name_of(message) +
                          " encodes to other bytes than it was decoded from");
  }
  return 0;
}
