#include "server/server.h"

#include <poll.h>

#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/logging/logging.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/protocol/codec.h"
#include "common/sys/signals.h"
#include "server/child_processes.h"
#include "server/draw/draw_barrier.h"
#include "server/draw/draw_record.h"
#include "server/draw/membership.h"
#include "server/echo_session.h"
#include "server/handback.h"
#include "server/lottery_session.h"
#include "server/waiting_room.h"
#include "server/storage/bets_file.h"
#include "server/storage/round_files.h"

namespace tp0::server {
namespace {

using config::Concurrency;
using config::ServerMode;
using logging::Event;
using logging::Result;

// How long children get to finish their conversation after SIGTERM before SIGKILL.
constexpr std::chrono::milliseconds kChildGracePeriod{3000};

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

class Server {
 public:
  explicit Server(const config::ServerConfig& config)
      : config_(config),
        durability_(config.durability == config::Durability::kMachine ? storage::Durability::kMachine
                                                                     : storage::Durability::kProcess),
        listener_(net::TcpListener::listen(config.ip, config.port, config.listen_backlog)),
        members_(config.agency_ids),
        barrier_(members_.size()),
        journal_state_(members_.size() + 1) {
    if (config_.mode == ServerMode::kLottery && config_.concurrency == Concurrency::kProcess) {
      handback_.emplace();
      allow_a_descriptor_per_agency();
    }
  }

  int run();

 private:
  // Before any agency is served: with SERVER_ROUND=resume, takes up the round on disk
  // where it was (the journal says which agencies finished, and so whether the draw is
  // held); with new, sets the files of any previous round aside. See README "The round".
  void start_round();
  void resume_round();
  // Waits until a connection can be accepted. Returns false when shutting down.
  bool wait_for_connection();
  // Forks the process that holds the connections waiting for the draw (waiting_room.h).
  void open_waiting_room();
  // True when SERVER_MAX_CHILDREN children are running (the waiting room among them),
  // after reaping those that exited.
  bool at_child_limit();
  // Turns a connection away without forking: a busy Ack in lottery mode, then close.
  // Refusing (rather than leaving it in the backlog) tells the peer at once, and no
  // number of connections can make the server fork more than its limit.
  void refuse(net::Connection& connection);
  void serve_in_child(net::Connection& connection);
  // Runs one conversation and closes the connection (unless it was handed to the waiting
  // room). Returns the exit code a child serving it leaves with: 0 when it ended normally
  // or by shutdown, 1 when it failed.
  int serve(net::Connection& connection);
  LotterySettings lottery_settings();
  void shut_down();

  const config::ServerConfig& config_;
  const storage::Durability durability_;
  net::TcpListener listener_;
  draw::Membership members_;
  draw::DrawBarrier barrier_;
  // Every connection's writer reads the journal from where this says, not from its start:
  // the round's agencies and stream 0, which the journal's first entry names.
  storage::SharedJournalState journal_state_;
  ChildProcesses children_;
  std::optional<Handback> handback_;  // process mode, lottery
};

int Server::run() {
  if (config_.mode == ServerMode::kLottery) start_round();
  if (handback_) open_waiting_room();
  logging::info(Event("listen", Result::kSuccess)
                    .with("address", listener_.address())
                    .with("port", listener_.port())
                    .with("mode", config::to_string(config_.mode))
                    .with("concurrency", config::to_string(config_.concurrency)));
  if (config_.mode == ServerMode::kLottery && barrier_.drawn()) {
    // No agency has to finish (SERVER_AGENCIES=0): the draw is held at start, over no bets.
    draw::record_draw(config_.storage_path, durability_, [] { logging::info(Event("sorteo", Result::kSuccess)); });
  }
  while (true) {
    logging::info(Event("accept_connections", Result::kInProgress));
    if (!wait_for_connection()) break;
    auto connection = listener_.accept();
    if (!connection) continue;
    if (config_.concurrency == Concurrency::kProcess && at_child_limit()) {
      refuse(*connection);
      continue;
    }
    logging::info(Event("accept_connections", Result::kSuccess).with("ip", connection->peer()));
    connection->set_idle_timeout(config_.idle_timeout);
    if (config_.concurrency == Concurrency::kProcess) {
      serve_in_child(*connection);
    } else {
      serve(*connection);
    }
    if (sys::signals::shutdown_requested()) break;
  }
  shut_down();
  return 0;
}

bool Server::wait_for_connection() {
  while (true) {
    if (sys::signals::consume_child_exited()) children_.reap();
    if (sys::signals::shutdown_requested()) return false;
    pollfd fds[2] = {{listener_.fd(), POLLIN, 0}, {sys::signals::wake_fd(), POLLIN, 0}};
    if (::poll(fds, 2, -1) == -1) {
      if (errno == EINTR) continue;
      throw net::NetError(std::string("poll listener: ") + std::strerror(errno));
    }
    if (fds[1].revents != 0) sys::signals::drain_wake_fd();
    if (fds[0].revents != 0 && !sys::signals::shutdown_requested()) return true;
  }
}

void Server::open_waiting_room() {
  const pid_t pid = children_.spawn([&] {
    listener_.close();
    handback_->close_connection_end();
    return run_waiting_room(*handback_, barrier_, config_.storage_path, durability_, config_.idle_timeout);
  });
  // The room holds its end; connection children keep the other, inherited from here.
  handback_->close_room_end();
  logging::info(Event("open_waiting_room", Result::kSuccess).with("pid", pid));
}

void Server::start_round() {
  if (config_.round == config::RoundStart::kResume) {
    resume_round();
  } else {
    if (const auto previous = storage::archive_previous_round(config_.storage_path, durability_)) {
      logging::info(Event("archive_bets", Result::kSuccess)
                        .with("file", config_.storage_path)
                        .with("archived_as", previous->archived_as)
                        .with("uncommitted_bytes_dropped", previous->bytes_dropped));
    }
    draw::remove_draw_record(config_.storage_path);
  }
  // Also makes a removed draw record's absence durable, before any bet is acknowledged.
  storage::create_round_files(config_.storage_path, durability_);
}

void Server::resume_round() {
  const storage::Recovery found = storage::recover(config_.storage_path);
  std::uint32_t finished = 0;
  std::uint64_t streamed_bets = 0;
  for (const auto& [agency, stream] : found.streams) {
    // Stream 0 holds no agency's bets: the journal's first entry names it.
    if (agency == 0) continue;
    const auto position = members_.position_of(agency);
    if (!position) {
      throw std::runtime_error("the round in " + config_.storage_path + " has bets of agency " +
                               std::to_string(agency) +
                               ", which is not one of this server's agencies (SERVER_AGENCIES, SERVER_AGENCY_IDS): "
                               "start it with those of that round, or start a new round with SERVER_ROUND=new");
    }
    streamed_bets += stream.position;
    if (stream.closed) {
      barrier_.finish(*position);
      ++finished;
    }
  }
  // A draw's record belongs to a held draw only: one left by a step the recovery undid goes.
  if (!barrier_.drawn()) draw::remove_draw_record(config_.storage_path);
  logging::info(Event("resume_round", Result::kSuccess)
                    .with("file", config_.storage_path)
                    .with("bets", streamed_bets)
                    .with("agencies_finished", finished)
                    .with("drawn", barrier_.drawn() ? "yes" : "no")
                    .with("steps_dropped", found.entries_dropped)
                    .with("uncommitted_bytes_dropped", found.bytes_dropped));
}

bool Server::at_child_limit() {
  if (sys::signals::consume_child_exited()) children_.reap();
  return children_.running() >= config_.max_children;
}

void Server::refuse(net::Connection& connection) {
  logging::warning(Event("accept_connections", Result::kFail)
                       .with("ip", connection.peer())
                       .with("error", "refused: " + std::to_string(children_.running()) +
                                          " children already running (SERVER_MAX_CHILDREN)"));
  try {
    if (config_.mode == ServerMode::kLottery) {
      // A few bytes into a new socket's empty send buffer: this cannot block the parent.
      std::vector<std::byte> frame;
      protocol::encode(protocol::Ack{protocol::AckCode::kServerBusy, 0}, frame);
      connection.write_all(frame);
    }
  } catch (const net::NetError& error) {
    logging::warning(Event("refuse_connection", Result::kFail)
                         .with("ip", connection.peer())
                         .with("error", error.what()));
  } catch (const net::ShutdownRequested&) {
    // The busy answer is moot; the accept loop sees the shutdown next and ends normally.
  }
  // Closing never blocks, and the connection goes whatever happened to its answer.
  connection.close_quietly();
}

void Server::serve_in_child(net::Connection& connection) {
  children_.spawn([&] {
    listener_.close();
    return serve(connection);
  });
  // The child has its own copy of the socket; the parent's is closed at once.
  connection.close();
}

LotterySettings Server::lottery_settings() {
  LotterySettings settings;
  settings.storage_path = config_.storage_path;
  settings.durability = durability_;
  settings.journal_state = &journal_state_;
  settings.hello_timeout = config_.hello_timeout;
  if (handback_) {
    settings.hand_over_until_draw = [this](std::uint32_t agency, const net::Connection& connection) {
      handback_->hand_over(agency, connection);
    };
    settings.on_draw = [this] { handback_->announce_draw(); };
  }
  return settings;
}

int Server::serve(net::Connection& connection) {
  const std::string peer = connection.peer();
  int code = 0;
  bool handed_over = false;
  try {
    if (config_.mode == ServerMode::kEcho) {
      serve_echo(connection);
      connection.close();
    } else {
      protocol::Channel channel(std::move(connection));
      LotterySession session(channel, barrier_, members_, lottery_settings());
      session.run();
      handed_over = session.handed_over();
      channel.connection().close();
    }
  } catch (const net::ShutdownRequested&) {
    code = 0;
  } catch (const std::exception& error) {
    logging::error(Event("serve_connection", Result::kFail).with("ip", peer).with("error", error.what()));
    code = 1;
  }
  if (handed_over) {
    logging::debug(Event("hand_back_connection", Result::kSuccess).with("ip", peer));
  } else {
    logging::info(Event("close_connection", Result::kSuccess).with("ip", peer));
  }
  return code;
}

void Server::shut_down() {
  logging::info(Event("shutdown", Result::kInProgress)
                    .with("signal", std::string("SIG") + sigabbrev_np(sys::signals::shutdown_signal())));
  listener_.close();
  logging::info(Event("close_listener", Result::kSuccess));
  const std::size_t children = children_.terminate_all(kChildGracePeriod);
  logging::info(Event("terminate_children", Result::kSuccess).with("count", children));
  barrier_.release();
  logging::info(Event("release_shared_memory", Result::kSuccess));
  logging::info(Event("shutdown", Result::kSuccess));
}

}  // namespace

int run_server(const config::ServerConfig& config) {
  Server server(config);
  return server.run();
}

}  // namespace tp0::server
