// The fuzzers start from fuzz/corpus/: the message decoder's seeds are one valid body of
// each message type, the frame reader's "every-message" a stream of one frame of each.
// A new message type, or a changed layout, without seeds to match would leave the
// fuzzers starting from bytes the decoder refuses at once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "common/protocol/codec.h"
#include "common/protocol/errors.h"
#include "common/protocol/frame.h"

namespace tp0::protocol {
namespace {

const std::filesystem::path kCorpus = std::filesystem::path(TP0_SOURCE_DIR) / "fuzz" / "corpus";

std::vector<std::byte> bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  for (std::size_t i = 0; i < chars.size(); ++i) bytes[i] = static_cast<std::byte>(chars[i]);
  return bytes;
}

// Every type of message, by its index in the Message variant.
std::set<std::size_t> every_type() {
  std::set<std::size_t> types;
  for (std::size_t i = 0; i < std::variant_size_v<Message>; ++i) types.insert(i);
  return types;
}

TEST(FuzzCorpus, TheDecodersSeedsAreOneValidBodyOfEachMessageType) {
  std::set<std::size_t> covered;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus / "message_decoder")) {
    // Inputs kept because they once found a bug may be anything.
    if (entry.path().filename().string().rfind("regression-", 0) == 0) continue;
    try {
      covered.insert(decode(bytes_of(entry.path())).index());
    } catch (const ProtocolError& error) {
      ADD_FAILURE() << entry.path().filename() << " does not decode: " << error.what();
    }
  }
  EXPECT_EQ(covered, every_type());
}

TEST(FuzzCorpus, TheFrameReadersEveryMessageSeedHoldsAFrameOfEachType) {
  const std::vector<std::byte> stream = bytes_of(kCorpus / "frame_reader" / "every-message");
  std::set<std::size_t> covered;
  std::size_t at = 0;
  while (at + kFrameHeaderBytes <= stream.size()) {
    std::size_t length = 0;
    for (std::size_t i = 0; i < kFrameHeaderBytes; ++i)
      length = length << 8 | std::to_integer<std::size_t>(stream[at + i]);
    ASSERT_LE(at + kFrameHeaderBytes + length, stream.size()) << "a frame cut short at byte " << at;
    const auto body = std::span(stream).subspan(at + kFrameHeaderBytes, length);
    try {
      covered.insert(decode(body).index());
    } catch (const ProtocolError& error) {
      ADD_FAILURE() << "the frame at byte " << at << " does not decode: " << error.what();
    }
    at += kFrameHeaderBytes + length;
  }
  EXPECT_EQ(at, stream.size());
  EXPECT_EQ(covered, every_type());
}

}  // namespace
}  // namespace tp0::protocol
