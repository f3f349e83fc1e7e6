#include "common/protocol/channel.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/net/errors.h"
#include "common/protocol/errors.h"
#include "tests/support/socket_pair.h"

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
