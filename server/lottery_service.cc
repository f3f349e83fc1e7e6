#include "server/lottery_service.h"

#include <sys/resource.h>

#include <array>
#include <chrono>
#include <vector>

#include "common/logging/logging.h"
#include "common/protocol/codec.h"
#include "common/net/errors.h"
#include "common/sys/signals.h"
#include "common/tls/session.h"
#include "server/draw/draw_record.h"
#include "server/storage/round_files.h"
#include "server/waiting_room.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

// How long a child waits for the waiting room to take a connection when the socket
// between them is full (the room dead and not yet started again, or behind): long
// enough for a restart, short enough that the client soon asks again elsewhere.
constexpr std::chrono::milliseconds kHandOverPatience{3000};

// The waiting room holds a connection for every agency waiting for the draw, up to
// SERVER_AGENCIES of them: the usual soft limit of 1,024 descriptors is raised to the
// hard limit, which any process may do.
void allow_a_descriptor_per_agency() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

LotteryService::LotteryService(const config::ServerConfig& config) : config_(config), round_(config.agency_ids) {
  if (config.tls) {
    tls_.emplace(tls::Context::Side::kServer, *config.tls);
  } else {
    logging::warning(Event("tls", Result::kSuccess)
                         .with("enabled", "no")
                         .with("warning", "SERVER_TLS=off: bets and winners cross the network in clear, and any "
                                          "peer may speak for any agency"));
  }
  settings_.storage_path = config.storage_path;
  settings_.durability = config.durability;
  settings_.max_bets_per_agency = config.max_bets_per_agency;
  if (config.concurrency == config::Concurrency::kProcess) {
    handback_.emplace();
    allow_a_descriptor_per_agency();
    settings_.hand_over_until_draw = [this](std::uint32_t agency, const net::Connection& connection) {
      handback_->hand_over(agency, connection, kHandOverPatience);
    };
    settings_.on_draw = [this] { handback_->announce_draw(); };
  }
}

void LotteryService::start(ChildProcesses& children) {
  if (config_.round == config::RoundStart::kResume) {
    resume_round();
  } else {
    start_new_round();
  }
  // No agency has to finish (SERVER_AGENCIES=0): the draw is held at start, over no bets.
  // A resumed round that was drawn has its record, or its first answer makes it.
  if (round_.claim_the_draw()) draw::record_draw(config_.storage_path, config_.durability, log_draw);
  if (!handback_) return;
  // Started again whenever it dies: the agencies it held see their connections closed and
  // ask again, and what was handed over meanwhile waits in the room's end, which the
  // parent keeps open for the next room.
  children.spawn_supervised(
      [this] {
        handback_->close_connection_end();
        // Forked again from the accept loop, it would hold the listener and a connection
        // being accepted, keeping it open after its own child closed it.
        const std::array keep{handback_->room_fd()};
        sys::signals::close_inherited_descriptors(keep);
        return run_waiting_room(*handback_, round_);
      },
      [](pid_t pid, bool restarted) {
        logging::info(Event("open_waiting_room", Result::kSuccess)
                          .with("pid", pid)
                          .with("restarted", restarted ? "yes" : "no"));
      });
}

void LotteryService::start_new_round() {
  if (const auto previous = storage::archive_previous_round(config_.storage_path, config_.durability)) {
    logging::info(Event("archive_bets", Result::kSuccess)
                      .with("file", config_.storage_path)
                      .with("archived_as", previous->archived_as)
                      .with("uncommitted_bytes_dropped", previous->bytes_dropped));
  }
  draw::remove_draw_record(config_.storage_path, config_.durability);
  round_.resume(config_.storage_path, config_.durability);
}

void LotteryService::resume_round() {
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
}

bool LotteryService::serve(net::Connection& connection, const Identified& identified) {
  // In a connection's own child (process mode): only the parent and the room hold the
  // room's end.
  if (handback_) handback_->close_room_end();
  // Until it has proved which agency it is, a connection is only a cost: the handshake
  // and the Hello together must be done soon, however slowly they trickle.
  connection.set_deadline(config_.hello_timeout);
  std::optional<std::uint32_t> certified;
  if (tls_) certified = tls::accept(connection, *tls_);
  protocol::Channel channel(std::move(connection));
  // From the Hello on: no message may trickle in, and no answer be read slowly, for
  // longer than this (within the Hello's deadline while that is in force).
  channel.set_frame_timeout(config_.frame_timeout);
  LotterySession session(channel, round_, settings_, certified, identified);
  try {
    session.run();
  } catch (const net::ShutdownRequested&) {
    // The client learns that the session ended rather than finding it cut.
    if (channel.connection().secure()) {
      const std::string peer = channel.connection().peer();
      channel.connection().close();
      logging::info(Event("close_tls_session", Result::kSuccess).with("ip", peer).with("reason", "shutdown"));
    }
    throw;
  }
  if (session.handed_over()) return true;
  channel.connection().close();
  return false;
}

void LotteryService::refuse(net::Connection& connection) {
  if (tls_) return;
  std::vector<std::byte> frame;
  protocol::encode(protocol::Ack{protocol::AckCode::kServerBusy, 0}, frame);
  connection.write_all(frame);
}

void LotteryService::shut_down() {
  round_.release();
  logging::info(Event("release_shared_memory", Result::kSuccess));
}

}  // namespace tp0::server
