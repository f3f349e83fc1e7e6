#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>

// Fixed-width unsigned integers as bytes in a stated order, whatever the host's: the
// protocol is big-endian (network order), the server's own files little-endian.
// The width is always named, as in put_big_endian<std::uint32_t>(dst, value), so that a
// wider argument is never written at its own width by accident.
// REQUIRES: `dst` and `src` point to at least sizeof(Unsigned) bytes.
namespace tp0::coding {

template <typename Byte>
concept ByteType =
    std::same_as<Byte, std::byte> || std::same_as<Byte, unsigned char> || std::same_as<Byte, char>;

template <std::unsigned_integral Unsigned, ByteType Byte>
constexpr void put_little_endian(Byte* dst, std::type_identity_t<Unsigned> value) {
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) dst[i] = static_cast<Byte>(value >> 8 * i);
}

template <std::unsigned_integral Unsigned, ByteType Byte>
constexpr void put_big_endian(Byte* dst, std::type_identity_t<Unsigned> value) {
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    dst[sizeof(Unsigned) - 1 - i] = static_cast<Byte>(value >> 8 * i);
  }
}

template <std::unsigned_integral Unsigned, ByteType Byte>
constexpr Unsigned get_little_endian(const Byte* src) {
  Unsigned value = 0;
  for (std::size_t i = sizeof(Unsigned); i-- > 0;) {
    value = static_cast<Unsigned>(value << 8 | static_cast<unsigned char>(src[i]));
  }
  return value;
}

template <std::unsigned_integral Unsigned, ByteType Byte>
constexpr Unsigned get_big_endian(const Byte* src) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    value = static_cast<Unsigned>(value << 8 | static_cast<unsigned char>(src[i]));
  }
  return value;
}

}  // namespace tp0::coding
