#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol/channel.h"
#include "server/draw/draw_barrier.h"
#include "server/storage/bets_file.h"

namespace tp0::server {

struct LotterySettings {
  std::string storage_path;
  // True when each connection has a process of its own and so may block until the draw;
  // a sequential server answers NotReady instead and the client asks again later.
  bool wait_for_draw = false;
};

// Serves one lottery conversation until the client closes it (see README "Protocol"):
// Hello, then bets or batches (each acknowledged only once written to the bets file),
// Finished, and WinnersQuery. Logs the course's lines (apuesta_almacenada,
// apuesta_recibida, sorteo). Requests that break the protocol get an Ack with an error
// code; malformed frames end the conversation with ProtocolError.
class LotterySession {
 public:
  LotterySession(protocol::Channel& channel, draw::DrawBarrier& barrier, LotterySettings settings);

  // Returns normally when the client closed the connection between messages.
  // Throws NetError, ProtocolError or ShutdownRequested.
  void run();

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
  void acknowledge(protocol::AckCode code, std::uint16_t bet_index = 0);
  // Acknowledges with an error code, after storing and answering the staged batches.
  void refuse(protocol::AckCode code, std::uint16_t bet_index = 0);
  // Refuses with kWrongAgency or kUnexpectedMessage and returns false unless the
  // connection introduced itself as `agency` (any agency when nullopt).
  bool identified_as(std::optional<std::uint32_t> agency);

  protocol::Channel& channel_;
  draw::DrawBarrier& barrier_;
  LotterySettings settings_;
  std::optional<std::uint32_t> agency_;
  storage::BetsFileWriter bets_file_;
  std::vector<std::size_t> staged_batches_;  // the size of each batch staged, in order
};

}  // namespace tp0::server
