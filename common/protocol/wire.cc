#include "common/protocol/wire.h"

#include <stdexcept>

#include "common/coding/coding.h"
#include "common/protocol/errors.h"

namespace tp0::protocol {

void WireWriter::u8(std::uint8_t value) { out_.push_back(std::byte{value}); }

void WireWriter::u16(std::uint16_t value) { coding::put_big_endian<std::uint16_t>(grow(2), value); }

void WireWriter::u32(std::uint32_t value) { coding::put_big_endian<std::uint32_t>(grow(4), value); }

void WireWriter::short_string(std::string_view text) {
  if (text.size() > 255) {
    throw std::length_error("string of " + std::to_string(text.size()) +
                            " bytes does not fit a one-byte length");
  }
  u8(static_cast<std::uint8_t>(text.size()));
  fixed(text);
}

void WireWriter::fixed(std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
  out_.insert(out_.end(), bytes, bytes + text.size());
}

std::byte* WireWriter::grow(std::size_t size) {
  out_.resize(out_.size() + size);
  return out_.data() + out_.size() - size;
}

std::span<const std::byte> WireReader::take(const char* field, std::size_t size) {
  if (in_.size() < size) {
    throw ProtocolError(std::string("message truncated in field ") + field + ": needs " +
                        std::to_string(size) + " bytes, " + std::to_string(in_.size()) + " left");
  }
  const auto taken = in_.first(size);
  in_ = in_.subspan(size);
  return taken;
}

std::uint8_t WireReader::u8(const char* field) { return std::to_integer<std::uint8_t>(take(field, 1)[0]); }

std::uint16_t WireReader::u16(const char* field) {
  return coding::get_big_endian<std::uint16_t>(take(field, 2).data());
}

std::uint32_t WireReader::u32(const char* field) {
  return coding::get_big_endian<std::uint32_t>(take(field, 4).data());
}

void WireReader::short_string(const char* field, std::string& out) { fixed(field, u8(field), out); }

void WireReader::fixed(const char* field, std::size_t size, std::string& out) {
  const auto bytes = take(field, size);
  out.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void WireReader::expect_end(const char* message) const {
  if (!in_.empty()) {
    throw ProtocolError(std::to_string(in_.size()) + " unexpected bytes after " + message);
  }
}

}  // namespace tp0::protocol
