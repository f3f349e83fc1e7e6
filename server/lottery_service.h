#pragma once

#include <memory>

#include "config/server_config.h"
#include "server/before_the_draw.h"
#include "server/introduction.h"
#include "server/lottery_session.h"
#include "server/round/round.h"
#include "server/service.h"

namespace tp0::server {

// The lottery of exercises 5 to 8: the round (round.h) in shared memory made here, before
// any fork. Each connection is introduced (`introduction`: plain, or a TLS handshake),
// then served by one LotterySession; a query before the draw is answered as
// `before_the_draw` says (NotReady, or a wait in the waiting room).
class LotteryService final : public Service {
 public:
  // Throws std::system_error when the shared memory cannot be made.
  LotteryService(const config::ServerConfig& config, std::unique_ptr<Introduction> introduction,
                 std::unique_ptr<BeforeTheDraw> before_the_draw);

  // Takes up the round on disk where it was (SERVER_ROUND=resume: the journal says which
  // agencies finished, and so whether the draw is held), or sets the files of any
  // previous round aside (new); then starts what `before_the_draw` needs.
  void start(ChildProcesses& children) override;
  // The introduction and the Hello within SERVER_HELLO_TIMEOUT, then the conversation,
  // within `budget` from the Hello.
  bool serve(net::Connection& connection, const Identified& identified,
             std::optional<std::chrono::milliseconds> budget) override;
  void refuse(net::Connection& connection) override { introduction_->refuse(connection); }
  bool first_message_arrived(const net::Connection& connection) const override {
    return introduction_->first_message_arrived(connection);
  }
  void shut_down() override;

 private:
  const config::ServerConfig& config_;
  std::unique_ptr<Introduction> introduction_;
  std::unique_ptr<BeforeTheDraw> before_the_draw_;
  round::Round round_;
};

}  // namespace tp0::server
