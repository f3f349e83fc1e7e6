#include "common/protocol/channel.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/net/errors.h"
#include "common/protocol/errors.h"
#include "tests/support/socket_pair.h"
#include "tests/support/trickler.h"

namespace tp0::protocol {
namespace {

TEST(ProtocolChannel, MessagesCrossAConnectionInOrder) {
  auto pair = testing::make_socket_pair();
  Channel sender(std::move(pair.local));
  Channel receiver(net::Connection(std::move(pair.remote), "sender"));
  std::thread writer([&] {
    for (std::uint32_t agency = 1; agency <= 100; ++agency) sender.send(Hello{agency});
    sender.send(Winners{true, {"1", "2"}});
    sender.connection().close();
  });
  for (std::uint32_t agency = 1; agency <= 100; ++agency) {
    EXPECT_EQ(receiver.receive_expected("Hello"), Message(Hello{agency}));
  }
  EXPECT_EQ(receiver.receive(), std::optional<Message>(Winners{true, {"1", "2"}}));
  EXPECT_FALSE(receiver.receive().has_value());
  writer.join();
}

TEST(ProtocolChannel, CloseWhereAMessageWasExpectedIsAnError) {
  auto pair = testing::make_socket_pair();
  Channel receiver(std::move(pair.local));
  pair.remote.reset();
  EXPECT_THROW(receiver.receive_expected("an Ack"), net::PeerClosed);
}

TEST(ProtocolChannel, GarbageFromThePeerIsAProtocolError) {
  auto pair = testing::make_socket_pair();
  Channel receiver(std::move(pair.local));
  const unsigned char garbage[] = {0, 0, 0, 3, 0xEE, 1, 2};
  ASSERT_EQ(::write(pair.remote.get(), garbage, sizeof garbage), 7);
  EXPECT_THROW(receiver.receive(), ProtocolError);
}

// The frame timeout: once a frame has begun, the rest within it, however active the
// peer; between frames, the idle timeout only; a flush within it too.
TEST(ProtocolChannel, AFrameTrickledInPastTheFrameTimeoutEndsAtIt) {
  using namespace std::chrono_literals;
  auto pair = testing::make_socket_pair();
  Channel receiver(std::move(pair.local));
  receiver.connection().set_idle_timeout(1000ms);
  receiver.set_frame_timeout(400ms);
  std::vector<std::byte> frame;
  encode(Winners{true, {"12345678", "23456789", "34567890"}}, frame);
  const auto started = std::chrono::steady_clock::now();
  std::string error;
  {
    // A byte every 50 ms: each well within the idle timeout, the frame far past 400 ms.
    testing::Trickler peer(pair.remote.get(), frame, 50ms);
    try {
      receiver.receive();
      ADD_FAILURE() << "the whole frame was read";
    } catch (const net::IdleTimeout& timeout) {
      error = timeout.what();
    }
    EXPECT_GE(peer.sent(), 2u);
    pair.remote.reset();
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(error, "receive from test-peer: frame not done within its deadline of 400 ms");
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 1000ms) << "the idle timeout would have fired no sooner";
}

TEST(ProtocolChannel, WithoutAFrameTimeoutTheSameTrickleIsReadWhole) {
  using namespace std::chrono_literals;
  auto pair = testing::make_socket_pair();
  Channel receiver(std::move(pair.local));
  receiver.connection().set_idle_timeout(1000ms);
  std::vector<std::byte> frame;
  encode(Hello{7}, frame);
  const testing::Trickler peer(pair.remote.get(), frame, 50ms);
  EXPECT_EQ(receiver.receive(), std::optional<Message>(Hello{7}));
}

TEST(ProtocolChannel, SilenceBetweenFramesIsTheIdleTimeoutsAlone) {
  using namespace std::chrono_literals;
  auto pair = testing::make_socket_pair();
  Channel receiver(std::move(pair.local));
  receiver.connection().set_idle_timeout(600ms);
  receiver.set_frame_timeout(100ms);
  std::vector<std::byte> frames;
  encode(Hello{1}, frames);
  ASSERT_EQ(::write(pair.remote.get(), frames.data(), frames.size()), static_cast<ssize_t>(frames.size()));
  EXPECT_EQ(receiver.receive(), std::optional<Message>(Hello{1}));
  // Nothing more: the wait for the next frame's first byte lasts the idle timeout, six
  // frame timeouts.
  const auto started = std::chrono::steady_clock::now();
  try {
    receiver.receive();
    ADD_FAILURE() << "a frame out of nothing";
  } catch (const net::IdleTimeout& timeout) {
    EXPECT_STREQ(timeout.what(), "receive from test-peer: no activity for 600 ms");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, 600ms);
}

TEST(ProtocolChannel, AFlushToAPeerThatNeverReadsEndsWithinTheFrameTimeout) {
  using namespace std::chrono_literals;
  auto pair = testing::make_socket_pair();
  const int small = 4096;
  ASSERT_EQ(::setsockopt(pair.local.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  ASSERT_EQ(::setsockopt(pair.remote.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  Channel sender(std::move(pair.local));
  sender.connection().set_idle_timeout(10s);
  sender.set_frame_timeout(300ms);
  // About a megabyte of answers, none of which the peer reads.
  const Winners part{false, std::vector<std::string>(800, "12345678")};
  for (int i = 0; i < 150; ++i) sender.post(part);
  const auto started = std::chrono::steady_clock::now();
  try {
    sender.flush();
    ADD_FAILURE() << "the peer took it all";
  } catch (const net::IdleTimeout& timeout) {
    EXPECT_STREQ(timeout.what(), "send to test-peer: send not done within its deadline of 300 ms");
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(ProtocolChannel, TheFrameTimeoutNeverLoosensTheConnectionsDeadline) {
  using namespace std::chrono_literals;
  auto pair = testing::make_socket_pair();
  Channel receiver(std::move(pair.local));
  receiver.connection().set_idle_timeout(10s);
  receiver.connection().set_deadline(300ms);  // the Hello's
  receiver.set_frame_timeout(10s);
  std::vector<std::byte> frame;
  encode(Hello{3}, frame);
  const testing::Trickler peer(pair.remote.get(), frame, 50ms);
  try {
    receiver.receive();
    ADD_FAILURE() << "the whole Hello was read";
  } catch (const net::IdleTimeout& timeout) {
    EXPECT_STREQ(timeout.what(), "receive from test-peer: not done within its deadline of 300 ms");
  }
  pair.remote.reset();
}

bool readable_now(int fd) {
  pollfd watched{fd, POLLIN, 0};
  return ::poll(&watched, 1, 0) == 1;
}

TEST(ProtocolChannel, PostedMessagesLeaveTogetherOnFlush) {
  auto pair = testing::make_socket_pair();
  Channel sender(std::move(pair.local));
  sender.post(Ack{AckCode::kOk, 0});
  sender.post(Ack{AckCode::kInvalidBet, 3});
  EXPECT_FALSE(readable_now(pair.remote.get())) << "a posted message went out before the flush";
  sender.flush();
  Channel receiver(net::Connection(std::move(pair.remote), "sender"));
  EXPECT_EQ(receiver.receive_expected("an Ack"), Message(Ack{AckCode::kOk, 0}));
  EXPECT_EQ(receiver.receive_expected("an Ack"), Message(Ack{AckCode::kInvalidBet, 3}));
}

// Otherwise two peers could each wait for an answer the other has only posted.
TEST(ProtocolChannel, AReceiveThatMustWaitSendsWhatWasPostedFirst) {
  auto pair = testing::make_socket_pair();
  Channel asker(std::move(pair.local));
  asker.connection().set_idle_timeout(std::chrono::seconds(20));
  Channel answerer(net::Connection(std::move(pair.remote), "asker"));
  std::thread peer([&] {
    EXPECT_EQ(answerer.receive_expected("a Hello"), Message(Hello{7}));
    answerer.send(Finished{});
  });
  asker.post(Hello{7});
  EXPECT_EQ(asker.receive_expected("Finished"), Message(Finished{}));
  peer.join();
}

TEST(ProtocolChannel, AMessageTooLargeToPostLeavesNothingBehind) {
  auto pair = testing::make_socket_pair();
  Channel sender(std::move(pair.local));
  Winners oversized{true, std::vector<std::string>(2000, "30904465")};
  EXPECT_THROW(sender.post(oversized), std::length_error);
  sender.send(Hello{1});
  sender.connection().close();
  Channel receiver(net::Connection(std::move(pair.remote), "sender"));
  EXPECT_EQ(receiver.receive(), std::optional<Message>(Hello{1}));
  EXPECT_FALSE(receiver.receive().has_value());
}

}  // namespace
}  // namespace tp0::protocol
