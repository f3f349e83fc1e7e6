#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol/channel.h"
#include "server/round/round.h"
#include "server/storage/bets_file.h"

namespace tp0::server {

struct LotterySettings {
  std::string storage_path;
  // When a stored batch is acknowledged (SERVER_DURABILITY).
  storage::Durability durability = storage::Durability::kProcess;
  // Where a winners query that comes before the draw goes. Given (process mode), the
  // client is answered WaitForDraw, the TLS session is ended, and the bare connection is
  // handed to it: the conversation ends here, and the waiting room closes the connection
  // once the draw is held (see waiting_room.h), when the client asks again. Not given
  // (sequential), the client is answered NotReady and asks again later on a new connection.
  std::function<void(std::uint32_t agency, const net::Connection&)> hand_over_until_draw;
  // Called once this process has held the draw and recorded it.
  std::function<void()> on_draw;
  // SERVER_MAX_BETS_PER_AGENCY: a bet or batch that would end past this many of its
  // agency's bets is refused (kTooManyBets), and the conversation ends.
  std::uint64_t max_bets_per_agency = 10'000'000;
};

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
// the connection ends); a connection speaks for the agency of its Hello only, and with
// TLS its Hello must name the agency of its certificate; a Hello
// is answered with where the agency's stream ends now, whichever connection stored it;
// each batch is stored once, where its position says: a batch the journal holds there
// is acknowledged and not stored again, one that would leave a gap or differs from what
// is held is refused and ends the conversation; winners are read from the draw's record,
// the same for every answer. Any other message that breaks the protocol is refused
// with an Ack error code and ends the conversation: nothing received after it is
// served. Malformed frames end the conversation with ProtocolError. Refusals that leave
// it open (an invalid bet, betting closed) end it too at the fourth: each is logged, and
// no peer may write the log at its own pace.
class LotterySession {
 public:
  // Called once the connection's Hello has proved which member it speaks for.
  using Identified = std::function<void(std::uint32_t agency)>;

  // `certified_agency`: the agency the client's TLS certificate names, the only one the
  // connection may speak for; nullopt without TLS (any member). `identified`: told the
  // agency once a Hello is accepted, if given.
  LotterySession(protocol::Channel& channel, round::Round& round, LotterySettings settings,
                 std::optional<std::uint32_t> certified_agency = std::nullopt, Identified identified = {});

  // Returns normally when the client closed the connection between messages, or the
  // session ended it (a peer that broke the round's rules, a connection handed over).
  // Throws NetError, ProtocolError or ShutdownRequested. The caller bounds the
  // introduction: the connection's deadline, set before the TLS handshake, is lifted
  // once a Hello is accepted.
  void run();

  // True once run() returned because the connection was handed over: the caller no
  // longer speaks on it.
  bool handed_over() const { return handed_over_; }

 private:
  void on(const protocol::Hello& hello);
  void on(const protocol::SingleBet& single);
  void on(const protocol::Batch& batch);
  void on(const protocol::Finished& finished);
  void on(const protocol::WinnersQuery& query);
  template <typename Unexpected>
  void on(const Unexpected& message);

  // Stores the batches staged by on(Batch) with one write, then logs and acknowledges each.
  void store_staged_batches();
  // Answers a batch that does not start at next_position_: stored if the stream ends
  // there after all, acknowledged if the journal holds that very batch there, else
  // refused with kOutOfPlace, ending the conversation.
  void on_batch_out_of_place(const protocol::Batch& batch);
  // Reads where the agency's stream ends now and answers Resume with it.
  void resume();
  void acknowledge(protocol::AckCode code, std::uint16_t bet_index = 0);
  // Acknowledges with an error code, after storing and answering the staged batches.
  void refuse(protocol::AckCode code, std::uint16_t bet_index = 0);
  // Refuses with `code`, logs why (identify | result: fail) and ends the conversation.
  void refuse_and_end(protocol::AckCode code, const std::string& why, std::optional<std::uint32_t> claimed);
  // Unless the connection introduced itself as `agency` (any agency when nullopt),
  // refuses with kUnexpectedMessage or kWrongAgency, ends the conversation and returns false.
  bool identified_as(std::optional<std::uint32_t> agency);
  void answer_winners();
  // nullopt when the bets from `first_position` on, `bets` of them, end within
  // max_bets_per_agency; else the error to log as they are refused.
  std::optional<std::string> past_the_limit(std::uint64_t first_position, std::size_t bets) const;

  protocol::Channel& channel_;
  round::Round& round_;
  LotterySettings settings_;
  std::optional<std::uint32_t> certified_agency_;
  Identified identified_;
  std::optional<std::uint32_t> agency_;
  std::uint64_t stored_ = 0;         // how many of agency_'s bets the bets file holds
  std::uint64_t next_position_ = 0;  // where the next batch must start: stored_ and the staged
  std::size_t refusals_ = 0;  // Acks with an error code sent
  bool ended_ = false;
  bool handed_over_ = false;
  storage::BetsFileWriter bets_file_;
  std::vector<std::size_t> staged_batches_;  // the size of each batch staged, in order
};

}  // namespace tp0::server
