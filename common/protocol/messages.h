#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/lottery/bet.h"

namespace tp0::protocol {

// What the server answers to Hello, Bet, Batch and Finished (and to a WinnersQuery it refuses).
enum class AckCode : std::uint8_t {
  kOk = 0,
  kInvalidBet = 1,         // a bet failed validation; nothing of the message was stored
  kWrongAgency = 2,        // the message names another agency than the connection's Hello
  kUnexpectedMessage = 3,  // the message is not allowed at this point of the conversation
  kStorageFailure = 4,     // the bets could not be written; nothing was stored
  kServerBusy = 5,         // the server serves as many connections as it may; nothing was
                           // read: connect again later (sent instead of the Hello's Ack)
  kUnknownAgency = 6,      // the Hello names an agency that is not one of the round's; the
                           // server closes the connection
  kBettingClosed = 7,      // the agency has said it finished (or the draw is held): its bets
                           // no longer enter the round; nothing of the message was stored
  kOutOfPlace = 8,         // the batch does not start where the agency's stored bets end (a
                           // gap, or bets stored in part): nothing was stored; the server
                           // closes the connection, and the client resumes where the answer
                           // to its next Hello says
  kTooManyBets = 9,        // the agency has stored as many bets as the server allows
                           // (SERVER_MAX_BETS_PER_AGENCY): nothing of the message was
                           // stored; the server closes the connection
};

// Client -> server, first message of a lottery conversation: which agency is speaking.
// A connection speaks for that agency only.
struct Hello {
  std::uint32_t agency = 0;
  bool operator==(const Hello&) const = default;
};

// Client -> server: one bet (exercise 5), numbered like a batch of one: `position` is how
// many of the agency's bets come before it, so a bet sent again is stored once.
struct SingleBet {
  lottery::Bet bet;
  std::uint32_t position = 0;
  bool operator==(const SingleBet&) const = default;
};

// Client -> server: several bets of one agency, stored all together or not at all.
// `first_position` numbers the agency's bets: how many of them come before this batch in
// its stream (32 bits: an agency sends at most 4,294,967,295 bets). A batch the server
// already holds is acknowledged without being stored again.
struct Batch {
  std::uint32_t agency = 0;
  std::uint32_t first_position = 0;
  std::vector<lottery::Bet> bets;
  bool operator==(const Batch&) const = default;
};

// Server -> client: the outcome of the last request. For kInvalidBet, `bet_index` is the
// position in the batch of the first rejected bet.
struct Ack {
  AckCode code = AckCode::kOk;
  std::uint16_t bet_index = 0;
  bool operator==(const Ack&) const = default;
};

// Client -> server: this agency has sent all its bets.
struct Finished {
  bool operator==(const Finished&) const = default;
};

// Client -> server: which of this agency's bets won?
struct WinnersQuery {
  std::uint32_t agency = 0;
  bool operator==(const WinnersQuery&) const = default;
};

// Server -> client: documents of winning bets. A long list spans several messages;
// the one with `last` set ends it.
struct Winners {
  bool last = true;
  std::vector<std::string> documents;
  bool operator==(const Winners&) const = default;
};

// Server -> client: the draw has not happened yet; ask again later, on a new connection
// (sequential server).
struct NotReady {
  bool operator==(const NotReady&) const = default;
};

// Server -> client, the answer to an accepted Hello: how many of the agency's bets the
// server holds, so the position its next batch starts at (a client that reconnects after
// a lost connection or a server restart resumes there).
struct Resume {
  std::uint32_t stored = 0;
  bool operator==(const Resume&) const = default;
};

// Server -> client, the answer to a WinnersQuery before the draw (process server): the
// server ends the TLS session (close_notify both ways) and keeps the bare connection,
// sending nothing on it, until the draw is held; then it closes it. The client then asks
// again on a new connection. Waiting so costs the server a descriptor, no process and
// no TLS state, and what the wait ends with carries no data.
struct WaitForDraw {
  bool operator==(const WaitForDraw&) const = default;
};

// The first byte of every frame body is its message's type: the index of that type here
// plus one (Hello 1, Bet 2, Batch 3, Ack 4, Finished 5, WinnersQuery 6, Winners 7,
// NotReady 8, Resume 9, WaitForDraw 10). The values are part of the wire format: a new
// type goes at the end, and none is ever removed or moved.
using Message = std::variant<Hello, SingleBet, Batch, Ack, Finished, WinnersQuery, Winners, NotReady, Resume,
                             WaitForDraw>;

// A short name for logs and errors ("Batch", "Ack", ...).
inline const char* name_of(const Message& message) {
  static constexpr const char* kNames[] = {"Hello",        "Bet",     "Batch",    "Ack",    "Finished",
                                           "WinnersQuery", "Winners", "NotReady", "Resume", "WaitForDraw"};
  return kNames[message.index()];
}

}  // namespace tp0::protocol
