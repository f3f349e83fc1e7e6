#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/logging/event.h"
#include "common/lottery/bet.h"
#include "common/protocol/channel.h"
#include "common/sys/wait.h"
#include "config/server_config.h"
#include "server/before_the_draw.h"
#include "server/introduction.h"
#include "server/round/round.h"
#include "server/storage/bets_file.h"

namespace tp0::server {

// Logs the course's `sorteo` line: the draw is held and recorded. Whoever records the
// draw's record calls it, just before the record becomes visible.
void log_draw();

// Serves one lottery conversation until the client closes it (see README "Protocol" and
// docs/guarantees.md): Hello, then bets or batches (each acknowledged only once written to the
// bets file), Finished, and WinnersQuery. Logs the course's lines (apuesta_almacenada,
// apuesta_recibida, sorteo).
//
// The conversation's side of the round's rules (round.h), whatever the peer sends: only
// the round's agencies are served (anything else is refused at its first message and
// the connection ends); a connection speaks for the agency of its Hello only, says it
// once, and its Hello must name an agency its introduction allows (with TLS, its
// certificate's); a Hello is answered with where the agency's stream ends now, whichever
// connection stored it; each batch (a single Bet is a batch of one) is stored once, where its position
// says: a batch the journal holds there is acknowledged and not stored again, one that
// would leave a gap or differs from what is held is refused and ends the conversation;
// winners are read from the draw's record, the same for every answer, and a query before
// the draw is answered as `before_the_draw` says. Any other message that breaks the
// protocol, a second Hello among them, is refused with an Ack error code and ends the
// conversation: nothing received after it is served. A conversation given a budget ends
// once it is spent, after answering the messages already read whole. Malformed frames end the conversation
// with ProtocolError. Refusals that leave it open (an invalid bet, betting closed) end it too at the fourth:
// each is logged, and no peer may write the log at its own pace.
class LotterySession {
 public:
  // Called once the connection's Hello has proved which member it speaks for.
  using Identified = std::function<void(std::uint32_t agency)>;

  // `proof`: what the connection proved of itself before its Hello. `identified`: told
  // the agency once a Hello is accepted, if given. `budget`: how long the conversation
  // may go on from its Hello (nullopt: while the peer keeps it going).
  LotterySession(protocol::Channel& channel, round::Round& round, const config::ServerConfig& config,
                 BeforeTheDraw& before_the_draw, const Proof& proof, Identified identified = {},
                 std::optional<std::chrono::milliseconds> budget = std::nullopt);

  // Returns when the client closed the connection between messages, or the session ended
  // it (a peer that broke the round's rules, a connection handed over): true when it was
  // handed over, and the caller no longer speaks on it. Throws NetError, ProtocolError or
  // ShutdownRequested. The caller bounds the introduction: the connection's deadline, set
  // before it, becomes the budget's once a Hello is accepted.
  bool run();

 private:
  // How the bets of one message are logged: a Batch as apuesta_recibida with its size,
  // the single Bet of mode bet as apuesta_almacenada with its document and number.
  struct Received {
    std::size_t bets = 0;
    std::optional<lottery::Bet> single;
    // The first position of its bets in the agency's stream.
    std::uint64_t position = 0;
    // The line of its bets stored (kSuccess) or refused (kFail, for `agency`).
    logging::Event line(logging::Result result, std::uint32_t agency) const;
  };

  void on(const protocol::Hello& hello);
  void on(const protocol::SingleBet& single);
  void on(const protocol::Batch& batch);
  void on(const protocol::Finished& finished);
  void on(const protocol::WinnersQuery& query);
  template <typename Unexpected>
  void on(const Unexpected& message);
  // Refuses a message (`name`) that breaks the protocol here, and ends the conversation.
  void refuse_unexpected(const char* name);

  // Checks `bets` of one message and stages them for the next store: with the ones
  // received after them and before the channel waits (run()), one write and one lock for
  // all, each Ack still only once its rows are written. Bets that do not start where the
  // staged ones end are stored alone, after those.
  void take(Received received, std::span<const lottery::Bet> bets);
  // Stores the staged batches, then logs and acknowledges each.
  void store_staged_batches();
  // Logs and acknowledges one stored batch as `outcome` says.
  void answer(const Received& batch, storage::StoreOutcome outcome);
  // Logs the refusal of `batch` with `error` and acknowledges it with `code`: the one
  // place where bets are refused. REQUIRES: nothing staged before `batch` is left.
  void refuse_bets(const Received& batch, protocol::AckCode code, const std::string& error,
                   std::uint16_t bet_index = 0);
  void acknowledge(protocol::AckCode code, std::uint16_t bet_index = 0);
  // Refuses with `code`, logs why (identify | result: fail) and ends the conversation.
  void refuse_and_end(protocol::AckCode code, const std::string& why, std::optional<std::uint32_t> claimed);
  // Unless the connection introduced itself as `agency` (any agency when nullopt),
  // refuses with kUnexpectedMessage or kWrongAgency, ends the conversation and returns false.
  bool identified_as(std::optional<std::uint32_t> agency);
  // From now, the conversation has its budget (sequential), or no deadline at all.
  void start_budget();

  protocol::Channel& channel_;
  round::Round& round_;
  // Of it the session reads where the bets go (STORAGE_FILEPATH), when a stored batch is
  // acknowledged (SERVER_DURABILITY), and SERVER_MAX_BETS_PER_AGENCY: a bet or batch that
  // would end past that many of its agency's bets is refused (kTooManyBets), and the
  // conversation ends.
  const config::ServerConfig& config_;
  BeforeTheDraw& before_the_draw_;
  const Proof& proof_;
  Identified identified_;
  const std::optional<std::chrono::milliseconds> budget_;
  sys::Deadline budget_ends_;  // set at the Hello, and again after a draw held
  std::optional<std::uint32_t> agency_;
  std::uint64_t stored_ = 0;  // how many of agency_'s bets the bets file holds
  std::size_t refusals_ = 0;  // Acks with an error code sent
  bool ended_ = false;
  bool handed_over_ = false;
  storage::BetsFileWriter bets_file_;
  std::vector<Received> staged_;  // in order
};

}  // namespace tp0::server
