#include "server/lottery_service.h"

#include "common/logging/logging.h"
#include "common/net/errors.h"
#include "server/draw/draw_record.h"
#include "server/storage/round_files.h"

namespace tp0::server {

using logging::Event;
using logging::Result;

LotteryService::LotteryService(const config::ServerConfig& config, std::unique_ptr<Introduction> introduction,
                               std::unique_ptr<BeforeTheDraw> before_the_draw)
    : config_(config),
      introduction_(std::move(introduction)),
      before_the_draw_(std::move(before_the_draw)),
      round_(config.agency_ids) {}

void LotteryService::start(ChildProcesses& children) {
  if (config_.round == config::RoundStart::kResume) {
    const round::Round::Resumed found = round_.resume(config_.storage_path, config_.durability);
    // A draw's record belongs to a held draw only: one left by a step the recovery undid goes.
    if (!round_.drawn()) draw::remove_draw_record(config_.storage_path, config_.durability);
    logging::info(Event("resume_round", Result::kSuccess)
                      .with("file", config_.storage_path)
                      .with("bets", found.bets)
                      .with("agencies_finished", round_.finished_count())
                      .with("drawn", round_.drawn() ? "yes" : "no")
                      .with("steps_dropped", found.recovery.entries_dropped)
                      .with("uncommitted_bytes_dropped", found.recovery.bytes_dropped));
  } else {
    if (const auto previous = storage::archive_previous_round(config_.storage_path, config_.durability)) {
      logging::info(Event("archive_bets", Result::kSuccess)
                        .with("file", config_.storage_path)
                        .with("archived_as", previous->archived_as)
                        .with("uncommitted_bytes_dropped", previous->bytes_dropped));
    }
    draw::remove_draw_record(config_.storage_path, config_.durability);
    round_.resume(config_.storage_path, config_.durability);
  }
  // No agency has to finish (SERVER_AGENCIES=0): the draw is held at start, over no bets.
  // A resumed round that was drawn has its record, or its first answer makes it.
  if (round_.claim_the_draw()) draw::record_draw(config_.storage_path, config_.durability, log_draw);
  before_the_draw_->start(children, round_);
}

bool LotteryService::serve(net::Connection& connection, const Identified& identified,
                           std::optional<std::chrono::milliseconds> budget) {
  before_the_draw_->serving_a_connection();
  // Until it has proved which agency it is, a connection is only a cost: the introduction
  // and the Hello together must be done soon, however slowly they trickle.
  connection.set_deadline(config_.hello_timeout);
  const std::unique_ptr<Proof> proof = introduction_->introduce(connection);
  protocol::Channel channel(std::move(connection));
  // From the Hello on: no message may trickle in, and no answer be read slowly, for
  // longer than this (within the Hello's deadline while that is in force).
  channel.set_frame_timeout(config_.frame_timeout);
  bool handed_over = false;
  try {
    handed_over =
        LotterySession(channel, round_, config_, *before_the_draw_, *proof, identified, budget).run();
  } catch (const net::ShutdownRequested&) {
    introduction_->end_for_shutdown(channel.connection());
    throw;
  }
  if (!handed_over) channel.connection().close();
  return handed_over;
}

void LotteryService::shut_down() {
  round_.release();
  logging::info(Event("release_shared_memory", Result::kSuccess));
}

}  // namespace tp0::server
