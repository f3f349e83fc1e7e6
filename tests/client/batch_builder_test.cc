#include "client/batch_builder.h"

#include <gtest/gtest.h>

#include "common/protocol/codec.h"

namespace tp0::client {
namespace {

lottery::Bet bet_with_names(std::size_t name_bytes) {
  return lottery::Bet{1, std::string(name_bytes, 'a'), std::string(name_bytes, 'b'), "12345678", "2000-01-01",
                      42};
}

std::size_t frame_size(const protocol::Batch& batch) {
  std::vector<std::byte> frame;
  protocol::encode(batch, frame);
  return frame.size();
}

TEST(ClientBatchBuilder, StopsAtMaxAmount) {
  BatchBuilder builder(1, 3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(builder.fits(bet_with_names(5)));
    builder.add(bet_with_names(5));
  }
  EXPECT_FALSE(builder.fits(bet_with_names(5)));
  builder.clear();
  EXPECT_TRUE(builder.empty());
  EXPECT_TRUE(builder.fits(bet_with_names(5)));
}

TEST(ClientBatchBuilder, StopsBeforeEightKilobytesWhateverMaxAmountSays) {
  for (const std::size_t name_bytes : {1u, 20u, 100u, 255u}) {
    BatchBuilder builder(1, 1'000'000);
    while (builder.fits(bet_with_names(name_bytes))) builder.add(bet_with_names(name_bytes));
    const std::size_t size = frame_size(builder.batch());
    EXPECT_LE(size, protocol::kMaxFrameBytes);
    EXPECT_GT(size + protocol::encoded_size(bet_with_names(name_bytes)), protocol::kMaxFrameBytes)
        << "the batch is as full as the frame allows";
  }
}

TEST(ClientBatchBuilder, DefaultMaxAmountFillsAFrameWithTheCoursesLongestRows) {
  // The longest first name + last name + document of the course's data is 41 bytes.
  BatchBuilder builder(1, 146);
  const lottery::Bet longest{1, "Milagros De Los Angeles", "Valenzuela", "25748564", "1984-05-22", 5142};
  ASSERT_EQ(longest.first_name.size() + longest.last_name.size() + longest.document.size(), 41u);
  while (builder.fits(longest)) builder.add(longest);
  EXPECT_EQ(builder.batch().bets.size(), 146u);
  EXPECT_LE(frame_size(builder.batch()), protocol::kMaxFrameBytes);
}

}  // namespace
}  // namespace tp0::client
