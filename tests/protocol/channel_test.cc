#include "common/protocol/channel.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

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

}  // namespace
}  // namespace tp0::protocol
