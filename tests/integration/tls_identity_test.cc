// A certificate speaks for its own agency only: whatever another agency's id it claims,
// in a Hello, a batch, a bet or a winners query, it is refused, stores nothing, holds no
// draw and learns nothing, while the honest agencies play their round.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "common/protocol/messages.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/tls_round.h"
#include "tests/support/bets.h"

namespace tp0::testing {
namespace {

using protocol::Ack;
using protocol::AckCode;
using protocol::Message;

const Message kUnknownAgency = Ack{AckCode::kUnknownAgency, 0};
const Message kWrongAgency = Ack{AckCode::kWrongAgency, 0};
const Message kBeforeHello = Ack{AckCode::kUnexpectedMessage, 0};

class TlsIdentity : public TlsRound {
 protected:
  // A batch of attacker's bets (all winners, were they stored) for `agency`.
  static protocol::Batch batch_for(std::uint32_t agency) { return batch_of(agency, 0, 0, 5, 5); }

  // As the holder of `certificate`'s agency: Hello `claimed`, which must be refused with
  // code 6; then `next`, which must not be served: the conversation is over.
  void expect_hello_refused(std::uint32_t certificate, std::uint32_t claimed,
                            const std::optional<Message>& next) {
    SslEnd attacker = agency_peer(certificate);
    ASSERT_TRUE(attacker.send(protocol::Hello{claimed})) << attacker.error();
    EXPECT_EQ(attacker.receive(), kUnknownAgency) << "certificate " << certificate << ", Hello " << claimed;
    // The server may have closed already: the send fails or its bytes are never read.
    if (next) attacker.send(*next);
    EXPECT_EQ(attacker.receive(), std::nullopt) << "an answer after a refused Hello: " << attacker.error();
  }

  std::string refusal_line(std::uint32_t certificate, std::uint32_t claimed) const {
    return "action: identify | result: fail | ip: 127.0.0.1 | certificate_agency: " +
           std::to_string(certificate) + " | claimed_agency: " + std::to_string(claimed) +
           " | error: the client certificate names another agency";
  }
};

TEST_P(TlsIdentity, AnotherAgencysCertificateCannotBetFinishOrAskAsAgency1) {
  start_server();
  for (const Message& next :
       {Message{batch_for(1)}, Message{protocol::Finished{}}, Message{protocol::WinnersQuery{1}}}) {
    expect_hello_refused(2, 1, next);
  }
  EXPECT_EQ(server_lines(refusal_line(2, 1)), 3u) << cluster_.server().output();
  EXPECT_EQ(bets_per_agency(cluster_.bets_path()).count(1), 0u) << "a bet of agency 1 was stored";
  EXPECT_EQ(server_lines("action: agency_finished | result: success | agency: 1"), 0u);
  play_honest_round();
}

TEST_P(TlsIdentity, HelloAndFinishedForEveryOtherAgencyHoldNoDraw) {
  start_server();
  for (const std::uint32_t claimed : {0u, 1u, 2u, kAgencies + 1, kOutsider + 1, UINT32_MAX}) {
    expect_hello_refused(3, claimed, Message{protocol::Finished{}});
  }
  // Signed by the round's CA, but for an agency outside the round: nothing is its own.
  for (std::uint32_t claimed = 1; claimed <= kOutsider; ++claimed) {
    expect_hello_refused(kOutsider, claimed, Message{protocol::Finished{}});
  }
  EXPECT_EQ(server_lines("action: agency_finished"), 0u) << cluster_.server().output();
  EXPECT_EQ(server_lines("action: sorteo"), 0u) << "the draw was held early";
  // Every honest bet is stored: none is refused as coming after the draw.
  play_honest_round();
}

TEST_P(TlsIdentity, ABatchOrABetForAnotherAgencyIsRefusedAndStoresNothing) {
  start_server();
  {
    SslEnd attacker = agency_peer(3);
    ASSERT_TRUE(attacker.send(protocol::Hello{3}));
    EXPECT_EQ(attacker.receive(), Message{protocol::Resume{0}});
    attacker.send(batch_for(1));
    EXPECT_EQ(attacker.receive(), kWrongAgency);
    EXPECT_EQ(attacker.receive(), std::nullopt);
  }
  {
    SslEnd attacker = agency_peer(3);
    ASSERT_TRUE(attacker.send(protocol::Hello{3}));
    EXPECT_EQ(attacker.receive(), Message{protocol::Resume{0}});
    attacker.send(protocol::SingleBet{bet_of(1, 0, true), 0});
    EXPECT_EQ(attacker.receive(), kWrongAgency);
    EXPECT_EQ(attacker.receive(), std::nullopt);
  }
  {
    // Without a Hello, the batch names the only agency it speaks for.
    SslEnd attacker = agency_peer(3);
    attacker.send(batch_for(1));
    EXPECT_EQ(attacker.receive(), kBeforeHello);
    EXPECT_EQ(attacker.receive(), std::nullopt);
  }
  EXPECT_TRUE(bets_per_agency(cluster_.bets_path()).empty()) << "an attacker's bet was stored";
  play_honest_round();
}

TEST_P(TlsIdentity, AnotherAgencysWinnersAreNeverRevealed) {
  start_server();
  expect_hello_refused(1, 3, Message{protocol::WinnersQuery{3}});
  play_honest_round();
  // The draw is held: the winners exist now, and still go to their agency alone.
  expect_hello_refused(1, 3, Message{protocol::WinnersQuery{3}});
  {
    SslEnd attacker = agency_peer(1);
    ASSERT_TRUE(attacker.send(protocol::Hello{1}));
    EXPECT_EQ(attacker.receive(), Message{protocol::Resume{kBets}});
    attacker.send(protocol::WinnersQuery{3});
    EXPECT_EQ(attacker.receive(), kWrongAgency);
    EXPECT_EQ(attacker.receive(), std::nullopt);
  }
  {
    SslEnd attacker = agency_peer(1);
    attacker.send(protocol::WinnersQuery{3});
    EXPECT_EQ(attacker.receive(), kBeforeHello);
    EXPECT_EQ(attacker.receive(), std::nullopt);
  }
  // Agency 3 itself is answered: what the attacker was refused existed.
  SslEnd owner = agency_peer(3);
  ASSERT_TRUE(owner.send(protocol::Hello{3}));
  EXPECT_EQ(owner.receive(), Message{protocol::Resume{kBets}});
  owner.send(protocol::WinnersQuery{3});
  const auto answer = owner.receive();
  ASSERT_TRUE(answer && std::holds_alternative<protocol::Winners>(*answer)) << owner.error();
  EXPECT_TRUE(std::get<protocol::Winners>(*answer).last);
  EXPECT_EQ(std::get<protocol::Winners>(*answer).documents.size(), winners_of(3));
}

TEST_P(TlsIdentity, EveryHelloButItsOwnIsRefusedAndRevealsNoCount) {
  start_server();
  play_honest_round();
  for (std::uint32_t claimed = 0; claimed <= 20; ++claimed) {
    SslEnd attacker = agency_peer(2);
    ASSERT_TRUE(attacker.send(protocol::Hello{claimed}));
    if (claimed == 2) {
      EXPECT_EQ(attacker.receive(), Message{protocol::Resume{kBets}});
    } else {
      EXPECT_EQ(attacker.receive(), kUnknownAgency) << "Hello " << claimed;
      EXPECT_EQ(attacker.receive(), std::nullopt);
    }
  }
  for (std::uint32_t claimed = 0; claimed <= 20; ++claimed) {
    EXPECT_EQ(server_lines(refusal_line(2, claimed)), claimed == 2 ? 0u : 1u) << "Hello " << claimed;
  }
}

INSTANTIATE_TEST_SUITE_P(Concurrency, TlsIdentity, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
