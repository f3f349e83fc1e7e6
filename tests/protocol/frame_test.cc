#include "common/protocol/frame.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "common/coding/coding.h"
#include "common/net/errors.h"
#include "common/protocol/errors.h"
#include "tests/support/socket_pair.h"

namespace tp0::protocol {
namespace {

std::vector<std::byte> frame_of(const std::vector<std::byte>& body) {
  std::vector<std::byte> out(kFrameHeaderBytes);
  coding::put_big_endian<std::uint32_t>(out.data(), static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

void write_raw(int fd, const std::vector<std::byte>& data) {
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
}

TEST(ProtocolFrame, ReassemblesFramesFromAPeerWritingOneByteAtATimeAndStalling) {
  auto pair = testing::make_socket_pair();
  std::vector<std::byte> stream;
  std::vector<std::vector<std::byte>> bodies;
  std::mt19937 random(42);
  for (int i = 0; i < 20; ++i) {
    std::vector<std::byte> body(1 + random() % 300);
    for (auto& b : body) b = static_cast<std::byte>(random());
    bodies.push_back(body);
    const auto frame = frame_of(body);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  std::thread writer([&] {
    for (std::size_t i = 0; i < stream.size(); ++i) {
      ASSERT_EQ(::write(pair.remote.get(), &stream[i], 1), 1);
      // Stalls make the reader wait mid-header and mid-body, not only between frames.
      if (i % 97 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pair.remote.reset();
  });
  FrameReader reader;
  for (const auto& expected : bodies) {
    const auto body = reader.next(pair.local);
    ASSERT_TRUE(body.has_value());
    EXPECT_EQ(std::vector<std::byte>(body->begin(), body->end()), expected);
  }
  EXPECT_FALSE(reader.next(pair.local).has_value()) << "clean close between frames";
  writer.join();
}

TEST(ProtocolFrame, ReadsManyFramesDeliveredInOneBurst) {
  auto pair = testing::make_socket_pair();
  std::vector<std::byte> burst;
  for (int i = 0; i < 5; ++i) {
    const auto frame = frame_of(std::vector<std::byte>(3000, static_cast<std::byte>(i)));
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  write_raw(pair.remote.get(), burst);
  pair.remote.reset();
  FrameReader reader;
  for (int i = 0; i < 5; ++i) {
    const auto body = reader.next(pair.local);
    ASSERT_TRUE(body);
    ASSERT_EQ(body->size(), 3000u);
    EXPECT_EQ((*body)[2999], static_cast<std::byte>(i));
  }
  EXPECT_FALSE(reader.next(pair.local));
}

TEST(ProtocolFrame, PeerClosingMidHeaderIsAnError) {
  auto pair = testing::make_socket_pair();
  write_raw(pair.remote.get(), bytes({0, 0}));
  pair.remote.reset();
  FrameReader reader;
  EXPECT_THROW(reader.next(pair.local), net::PeerClosed);
}

TEST(ProtocolFrame, PeerClosingMidBodyIsAnError) {
  auto pair = testing::make_socket_pair();
  write_raw(pair.remote.get(), bytes({0, 0, 0, 10, 1, 2, 3}));
  pair.remote.reset();
  FrameReader reader;
  try {
    reader.next(pair.local);
    FAIL() << "a truncated frame was accepted";
  } catch (const net::PeerClosed& error) {
    EXPECT_NE(std::string(error.what()).find("middle of a frame"), std::string::npos);
  }
}

TEST(ProtocolFrame, HugeLengthIsRejectedBeforeReadingTheBody) {
  auto pair = testing::make_socket_pair();
  // 4 GB announced, and the peer keeps the connection open: the reader must not wait for it.
  write_raw(pair.remote.get(), bytes({0xFF, 0xFF, 0xFF, 0xFF}));
  FrameReader reader;
  EXPECT_THROW(reader.next(pair.local), ProtocolError);
}

TEST(ProtocolFrame, LengthJustOverTheLimitAndZeroAreRejected) {
  for (const std::uint32_t length : {std::uint32_t{0}, std::uint32_t{kMaxBodyBytes + 1}}) {
    auto pair = testing::make_socket_pair();
    write_raw(pair.remote.get(),
              bytes({static_cast<int>(length >> 24), static_cast<int>((length >> 16) & 0xFF),
                     static_cast<int>((length >> 8) & 0xFF), static_cast<int>(length & 0xFF)}));
    FrameReader reader;
    EXPECT_THROW(reader.next(pair.local), ProtocolError) << "length " << length;
  }
}

TEST(ProtocolFrame, SilentPeerHitsTheIdleTimeout) {
  auto pair = testing::make_socket_pair();
  pair.local.set_idle_timeout(std::chrono::milliseconds(50));
  write_raw(pair.remote.get(), bytes({0, 0, 0, 5, 1}));
  FrameReader reader;
  EXPECT_THROW(reader.next(pair.local), net::IdleTimeout);
}

}  // namespace
}  // namespace tp0::protocol
