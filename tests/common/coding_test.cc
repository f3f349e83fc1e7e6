#include "common/coding/coding.h"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace tp0::coding {
namespace {

TEST(Coding, BigEndianPutsTheMostSignificantByteFirst) {
  std::array<unsigned char, 4> bytes{};
  put_big_endian<std::uint32_t>(bytes.data(), 0x01020304u);
  EXPECT_EQ(bytes, (std::array<unsigned char, 4>{1, 2, 3, 4}));
  EXPECT_EQ(get_big_endian<std::uint32_t>(bytes.data()), 0x01020304u);
  EXPECT_EQ(get_big_endian<std::uint16_t>(bytes.data() + 2), 0x0304u);

  std::array<std::byte, 2> wire{};
  put_big_endian<std::uint16_t>(wire.data(), 0xfe01u);
  EXPECT_EQ(wire[0], std::byte{0xfe});
  EXPECT_EQ(wire[1], std::byte{0x01});
  EXPECT_EQ(get_big_endian<std::uint16_t>(wire.data()), 0xfe01u);
}

TEST(Coding, LittleEndianPutsTheLeastSignificantByteFirst) {
  std::array<unsigned char, 8> bytes{};
  put_little_endian<std::uint32_t>(bytes.data(), 0x01020304u);
  EXPECT_EQ(bytes, (std::array<unsigned char, 8>{4, 3, 2, 1, 0, 0, 0, 0}));
  EXPECT_EQ(get_little_endian<std::uint32_t>(bytes.data()), 0x01020304u);

  put_little_endian<std::uint64_t>(bytes.data(), 0x0102030405060708u);
  EXPECT_EQ(bytes, (std::array<unsigned char, 8>{8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(get_little_endian<std::uint64_t>(bytes.data()), 0x0102030405060708u);
}

TEST(Coding, HighBytesSurviveSignedChar) {
  // Every byte above 0x7f is negative as a plain char on most hosts.
  std::array<char, 8> bytes{};
  put_little_endian<std::uint64_t>(bytes.data(), 0xffeeddccbbaa9988u);
  EXPECT_EQ(get_little_endian<std::uint64_t>(bytes.data()), 0xffeeddccbbaa9988u);
  put_big_endian<std::uint32_t>(bytes.data(), 0xfffefdfcu);
  EXPECT_EQ(get_big_endian<std::uint32_t>(bytes.data()), 0xfffefdfcu);
  EXPECT_EQ(get_little_endian<std::uint32_t>(bytes.data()), 0xfcfdfeffu);
}

TEST(Coding, WritesExactlyTheWidthNamed) {
  std::array<unsigned char, 6> bytes{};
  bytes.fill(0xaa);
  put_big_endian<std::uint32_t>(bytes.data() + 1, 0);
  EXPECT_EQ(bytes, (std::array<unsigned char, 6>{0xaa, 0, 0, 0, 0, 0xaa}));
}

}  // namespace
}  // namespace tp0::coding
