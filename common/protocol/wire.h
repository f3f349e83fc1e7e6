#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tp0::protocol {

// Appends big-endian integers and length-prefixed strings to a byte buffer.
class WireWriter {
 public:
  explicit WireWriter(std::vector<std::byte>& out) : out_(out) {}

  void u8(std::uint8_t value);
  void u16(std::uint16_t value);
  void u32(std::uint32_t value);
  // A string of at most 255 bytes, preceded by its length in one byte.
  // REQUIRES: text.size() <= 255 (checked: throws std::length_error).
  void short_string(std::string_view text);
  // Exactly text.size() bytes, no length: for fields of fixed width.
  void fixed(std::string_view text);

 private:
  // Appends `size` bytes and returns the first, for the caller to fill.
  std::byte* grow(std::size_t size);

  std::vector<std::byte>& out_;
};

// Reads what WireWriter wrote from a received message. Reading past the end throws
// ProtocolError naming the field, so a truncated message can never be half-decoded.
class WireReader {
 public:
  explicit WireReader(std::span<const std::byte> in) : in_(in) {}

  std::uint8_t u8(const char* field);
  std::uint16_t u16(const char* field);
  std::uint32_t u32(const char* field);
  void short_string(const char* field, std::string& out);
  void fixed(const char* field, std::size_t size, std::string& out);

  std::size_t remaining() const { return in_.size(); }

  // Throws ProtocolError unless every byte has been consumed.
  void expect_end(const char* message) const;

 private:
  std::span<const std::byte> take(const char* field, std::size_t size);

  std::span<const std::byte> in_;
};

}  // namespace tp0::protocol
