#include "server/server.h"

#include <poll.h>
#include <sys/types.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "common/logging/logging.h"
#include "common/net/backoff.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/sys/signals.h"
#include "common/sys/wait.h"
#include "server/admission.h"
#include "server/child_processes.h"
#include "server/echo_service.h"
#include "server/lottery_service.h"
#include "server/member_reports.h"
#include "server/refusal_log.h"
#include "server/waiting_room.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

// How long children get to finish their conversation after SIGTERM before SIGKILL.
constexpr std::chrono::milliseconds kChildGracePeriod{3000};
// How often an address that keeps being refused gets a line in the log.
constexpr std::chrono::milliseconds kRefusalLogInterval{10000};
// How long accepting pauses after a fork or an accept failed for want of resources: a
// pause that doubles while they keep failing, so that the server neither spins on a
// listener it cannot empty nor waits long once they are back (the postmaster's way).
constexpr std::chrono::milliseconds kFirstAcceptPause{100};
constexpr std::chrono::milliseconds kLongestAcceptPause{1000};
// How long after its connect a peer's first message may still be on its way: a client
// sends it at once, so only a busy machine's scheduling delays it (server.cc, serve_in_child).
constexpr std::chrono::milliseconds kFirstMessageGrace{50};

// The choices of SERVER_MODE, SERVER_TLS and, for what the lottery tells an agency that
// asks before the draw, SERVER_CONCURRENCY: made here once, and never looked at again.
std::unique_ptr<Service> make_service(const config::ServerConfig& config) {
  if (config.mode == config::ServerMode::kEcho) return std::make_unique<EchoService>(config.frame_timeout);
  auto introduction = config.tls ? std::unique_ptr<Introduction>(std::make_unique<TlsHandshake>(*config.tls))
                                 : std::make_unique<PlainHello>();
  auto before_the_draw = config.concurrency == config::Concurrency::kProcess
                             ? std::unique_ptr<BeforeTheDraw>(std::make_unique<WaitingRoom>())
                             : std::make_unique<AskAgainLater>();
  return std::make_unique<LotteryService>(config, std::move(introduction), std::move(before_the_draw));
}

// The accept loop: accepts, serves each connection here (sequential) or in a child forked
// for it (process) as admission.h allows, reaps, and on SIGTERM or SIGINT stops.
// What a connection is for is the service's business alone.
class Server {
 public:
  explicit Server(const config::ServerConfig& config)
      : config_(config),
        service_(make_service(config)),
        // SERVER_CONCURRENCY, for the accept loop: chosen here once.
        dispatch_(config.concurrency == config::Concurrency::kProcess ? &Server::serve_in_child
                                                                      : &Server::serve_here),
        admission_(config.max_children, config.max_introductions_per_network, config.introductions_per_second,
                   config.replace_interval),
        refusals_(kRefusalLogInterval) {}

  int run() {
    // Started before listening, so that no child of the service holds the listener.
    service_->start(children_);
    listener_.emplace(net::TcpListener::listen(config_.ip, config_.port, config_.listen_backlog));
    logging::info(Event("listen", Result::kSuccess)
                      .with("address", listener_->address())
                      .with("port", listener_->port())
                      .with("mode", config::to_string(config_.mode))
                      .with("concurrency", config::to_string(config_.concurrency)));
    try {
      accept_until_shutdown();
    } catch (...) {
      // The children still get their grace and the service releases what it holds.
      shut_down();
      throw;
    }
    shut_down();
    return 0;
  }

 private:
  // Accepts until SIGTERM or SIGINT, meanwhile taking the children's reports, reaping and
  // logging the refusals due.
  void accept_until_shutdown() {
    // Not after a refusal, nor after an accept that failed: a peer connecting in a loop
    // writes no line per attempt.
    bool announce = true;
    while (true) {
      if (announce) logging::info(Event("accept_connections", Result::kInProgress));
      announce = false;
      // Reports before reaping: a child's report is sent before it exits, so none is left
      // to be read for a pid already reaped (and perhaps given to another child).
      take_reports();
      if (sys::signals::consume_child_exited()) {
        for (const pid_t child : children_.reap()) admission_.exited(child);
      }
      const auto now = std::chrono::steady_clock::now();
      refusals_.log_due(now);
      if (sys::signals::shutdown_requested()) return;
      const bool paused = paused_until_ && now < *paused_until_;
      std::array watched{pollfd{reports_.fd(), POLLIN, 0}, pollfd{paused ? -1 : listener_->fd(), POLLIN, 0}};
      // Until the pause ends or a refusal's line is due, whichever comes first.
      sys::Deadline wake = refusals_.next_due();
      if (paused && (!wake || *paused_until_ < *wake)) wake = paused_until_;
      sys::wait_until(watched, wake);
      if (watched[1].revents == 0 || sys::signals::shutdown_requested()) continue;
      std::string shortage;
      std::optional<net::Connection> connection = listener_->accept(shortage);
      if (!shortage.empty()) {
        logging::error(Event("accept_connections", Result::kFail).with("error", shortage));
        pause_accepting();
      }
      if (!connection) continue;
      announce = (this->*dispatch_)(*connection);
      if (sys::signals::shutdown_requested()) return;
    }
  }

  // Children that proved which member they speak for; of two conversations of one member,
  // one ends (admission.h).
  void take_reports() {
    const auto now = std::chrono::steady_clock::now();
    for (const MemberReports::Report& report : reports_.receive()) {
      const std::optional<Admission::Clash> clash = admission_.identified(report.pid, report.member, now);
      if (!clash) continue;
      ::kill(clash->ended, SIGTERM);
      if (!clash->replaced) {
        // Whoever holds the agency's key may be trying to cut its conversation: one line
        // per interval, not one per attempt.
        refusals_.refused(clash->ended_address,
                          "refused: agency " + std::to_string(report.member) + " already speaks from " +
                              clash->kept_address +
                              ", its conversation replaced within SERVER_REPLACE_INTERVAL",
                          now);
        continue;
      }
      // Its client reconnected, or someone else holds the agency's key: either way the
      // conversation that proved it last is the one that goes on.
      logging::info(Event("replace_conversation", Result::kSuccess)
                        .with("agency", report.member)
                        .with("pid", clash->ended)
                        .with("ip", clash->ended_address)
                        .with("by", clash->kept)
                        .with("by_ip", clash->kept_address));
    }
  }

  // Stops accepting for a while: the system is short of what a connection needs.
  void pause_accepting() { paused_until_ = std::chrono::steady_clock::now() + accept_pauses_.next_pause(); }

  // Each of the two returns false when it refused the connection instead of serving it.
  bool serve_here(net::Connection& connection) {
    logging::info(Event("accept_connections", Result::kSuccess).with("ip", connection.peer()));
    // One conversation at a time: its budget bounds how long the others wait for it.
    serve(connection, {}, config_.conversation_budget);
    return true;
  }

  // Forks a child to serve the connection, or refuses it when admission.h says there is
  // no room for it. Refusing rather than leaving it in the backlog tells the peer at
  // once, and no number of connections can make the server fork past its limits.
  bool serve_in_child(net::Connection& connection) {
    // The accept loop has just reaped; the reports are taken again here, so that a child
    // that has just proved its member is never displaced as a stranger (it may be storing).
    take_reports();
    // Behind a flood, connections come faster than the server forks: the listen queue
    // fills, and a full queue drops every SYN, an honest agency's too, which then waits a
    // second or more to try again. So while others wait, a connection whose first message
    // has not arrived whole though it was established kFirstMessageGrace ago is refused at
    // once, which costs microseconds, not a fork, and the next is taken. An agency's
    // first message follows its connect at once; a silent or trickling crowd's never comes.
    while (connection.age_before_first_send() >= kFirstMessageGrace &&
           !service_->first_message_arrived(connection)) {
      std::string shortage;
      std::optional<net::Connection> next = listener_->accept(shortage);
      if (!next) break;
      refuse(connection, "its first message had not come " + std::to_string(kFirstMessageGrace.count()) +
                             " ms after its connect, while other connections waited");
      connection = std::move(*next);
    }
    const auto now = std::chrono::steady_clock::now();
    const Admission::Entry entry = admission_.enter(connection.peer(), children_.running(), now);
    if (!entry.admitted) {
      refuse(connection, entry.why);
      return false;
    }
    if (entry.displaced) {
      // SIGKILL, not SIGTERM: a stranger has proved no member, so it has stored nothing
      // and owes no answer, and it is gone before the fork that takes its place.
      children_.kill_now(*entry.displaced);
      refusals_.refused(entry.displaced_address, "displaced: " + entry.why, now);
    }
    logging::info(Event("accept_connections", Result::kSuccess).with("ip", connection.peer()));
    try {
      const pid_t child = children_.spawn([&] {
        listener_->close();
        return serve(
            connection, [this](std::uint32_t member) { reports_.report(member); }, std::nullopt);
      });
      admission_.admitted(child, connection.peer());
      accept_pauses_.succeeded();
    } catch (const std::system_error& error) {
      // Out of processes for now (EAGAIN, a container's pids limit): the connection is
      // refused, and accepting waits a little for the limit to ease.
      logging::error(
          Event("fork_child", Result::kFail).with("ip", connection.peer()).with("error", error.what()));
      refuse(connection, "no child could be forked");
      pause_accepting();
      return false;
    }
    // The child has its own copy of the socket; the parent's is closed at once.
    connection.close();
    return true;
  }

  void refuse(net::Connection& connection, const std::string& why) {
    refusals_.refused(connection.peer(), "refused: " + why, std::chrono::steady_clock::now());
    try {
      service_->refuse(connection);
    } catch (const net::NetError& error) {
      logging::debug(Event("refuse_connection", Result::kFail)
                         .with("ip", connection.peer())
                         .with("error", error.what()));
    } catch (const net::ShutdownRequested&) {
      // The busy answer is moot; the accept loop sees the shutdown next and ends normally.
    }
    // Closing never blocks, and the connection goes whatever happened to its answer.
    connection.close_quietly();
  }

  // Runs one conversation. Returns the exit code a child serving it leaves with: 0 when
  // it ended normally or by shutdown, 1 when it failed.
  int serve(net::Connection& connection, const Service::Identified& identified,
            std::optional<std::chrono::milliseconds> budget) {
    const std::string peer = connection.peer();
    connection.set_idle_timeout(config_.idle_timeout);
    int code = 0;
    try {
      if (service_->serve(connection, identified, budget)) {
        logging::debug(Event("hand_back_connection", Result::kSuccess).with("ip", peer));
        return 0;
      }
    } catch (const net::ShutdownRequested&) {
    } catch (const std::exception& error) {
      logging::error(Event("serve_connection", Result::kFail).with("ip", peer).with("error", error.what()));
      code = 1;
    }
    logging::info(Event("close_connection", Result::kSuccess).with("ip", peer));
    return code;
  }

  void shut_down() {
    const int signal = sys::signals::shutdown_signal();
    const char* name = signal != 0 ? sigabbrev_np(signal) : nullptr;
    logging::info(
        Event("shutdown", Result::kInProgress)
            .with("signal", name ? std::string("SIG") + name : std::string("none: the accept loop failed")));
    refusals_.log_all();
    listener_->close();
    logging::info(Event("close_listener", Result::kSuccess));
    const std::size_t children = children_.terminate_all(kChildGracePeriod);
    logging::info(Event("terminate_children", Result::kSuccess).with("count", children));
    service_->shut_down();
    logging::info(Event("shutdown", Result::kSuccess));
  }

  const config::ServerConfig& config_;
  std::unique_ptr<Service> service_;
  bool (Server::*dispatch_)(net::Connection&);
  ChildProcesses children_;
  Admission admission_;
  MemberReports reports_;
  RefusalLog refusals_;
  std::optional<net::TcpListener> listener_;
  net::Backoff accept_pauses_{kFirstAcceptPause, kLongestAcceptPause};
  sys::Deadline paused_until_;
};

}  // namespace

int run_server(const config::ServerConfig& config) { return Server(config).run(); }

}  // namespace tp0::server
