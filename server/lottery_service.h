#pragma once

#include <optional>

#include "common/tls/context.h"
#include "config/server_config.h"
#include "server/handback.h"
#include "server/lottery_session.h"
#include "server/round/round.h"
#include "server/service.h"

namespace tp0::server {

// The lottery of exercises 5 to 8: the round (round.h) in shared memory made here, before
// any fork; in process mode also the waiting room, the child that holds the agencies
// waiting for the draw (waiting_room.h), and the way to it (Handback). Each connection is
// a TLS handshake (unless SERVER_TLS=off), then one LotterySession.
class LotteryService final : public Service {
 public:
  // Throws std::system_error when the shared memory or the hand-back socket cannot be
  // made, TlsError when the TLS files cannot be used.
  explicit LotteryService(const config::ServerConfig& config);

  // Takes up the round on disk where it was (SERVER_ROUND=resume: the journal says which
  // agencies finished, and so whether the draw is held), or sets the files of any
  // previous round aside (new); then forks the waiting room (process mode), as a child
  // started again whenever it dies.
  void start(ChildProcesses& children) override;
  // The handshake and the Hello within SERVER_HELLO_TIMEOUT, then the conversation.
  bool serve(net::Connection& connection, const Identified& identified) override;
  // A busy Ack: a few bytes into a new socket's empty send buffer, which cannot block.
  // With TLS nothing: a client cannot read a plain Ack before its handshake, and one
  // in the parent would hold the accept loop; it sees the connection closed and
  // connects again.
  void refuse(net::Connection& connection) override;
  void shut_down() override;

 private:
  void resume_round();
  void start_new_round();

  const config::ServerConfig& config_;
  // Made here, before any fork: every child shares the keys of the session tickets, so
  // a client resumes its session whichever child serves it next.
  std::optional<tls::Context> tls_;
  round::Round round_;
  std::optional<Handback> handback_;  // process mode
  LotterySettings settings_;
};

}  // namespace tp0::server
