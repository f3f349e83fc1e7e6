#include "server/server.h"

#include <poll.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "common/logging/logging.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/sys/signals.h"
#include "common/sys/wait.h"
#include "server/child_processes.h"
#include "server/echo_service.h"
#include "server/lottery_service.h"

namespace tp0::server {
namespace {

using logging::Event;
using logging::Result;

// How long children get to finish their conversation after SIGTERM before SIGKILL.
constexpr std::chrono::milliseconds kChildGracePeriod{3000};

std::unique_ptr<Service> make_service(const config::ServerConfig& config) {
  if (config.mode == config::ServerMode::kEcho) return std::make_unique<EchoService>(config.frame_timeout);
  return std::make_unique<LotteryService>(config);
}

// The accept loop: accepts, serves each connection here (sequential) or in a child forked
// for it (process), refuses at the child limit, reaps, and on SIGTERM or SIGINT stops.
// What a connection is for is the service's business alone.
class Server {
 public:
  explicit Server(const config::ServerConfig& config)
      : config_(config),
        service_(make_service(config)),
        dispatch_(config.concurrency == config::Concurrency::kProcess ? &Server::serve_in_child
                                                                       : &Server::serve_here) {}

  int run();

 private:
  // Waits until a connection can be accepted. Returns false when shutting down.
  bool wait_for_connection();
  void serve_here(net::Connection& connection);
  // Forks a child to serve the connection, or refuses it when SERVER_MAX_CHILDREN
  // children are running (the lottery's waiting room among them). Refusing rather than
  // leaving it in the backlog tells the peer at once, and no number of connections can
  // make the server fork more than its limit.
  void serve_in_child(net::Connection& connection);
  void refuse(net::Connection& connection);
  // Runs one conversation. Returns the exit code a child serving it leaves with: 0 when
  // it ended normally or by shutdown, 1 when it failed.
  int serve(net::Connection& connection);
  void shut_down();

  const config::ServerConfig& config_;
  std::unique_ptr<Service> service_;
  void (Server::*dispatch_)(net::Connection&);
  ChildProcesses children_;
  std::optional<net::TcpListener> listener_;
};

int Server::run() {
  // Started before listening, so that no child of the service holds the listener.
  service_->start(children_);
  listener_.emplace(net::TcpListener::listen(config_.ip, config_.port, config_.listen_backlog));
  logging::info(Event("listen", Result::kSuccess)
                    .with("address", listener_->address())
                    .with("port", listener_->port())
                    .with("mode", config::to_string(config_.mode))
                    .with("concurrency", config::to_string(config_.concurrency)));
  while (true) {
    logging::info(Event("accept_connections", Result::kInProgress));
    if (!wait_for_connection()) break;
    auto connection = listener_->accept();
    if (!connection) continue;
    (this->*dispatch_)(*connection);
    if (sys::signals::shutdown_requested()) break;
  }
  shut_down();
  return 0;
}

bool Server::wait_for_connection() {
  while (true) {
    if (sys::signals::consume_child_exited()) children_.reap();
    if (sys::signals::shutdown_requested()) return false;
    pollfd listener{listener_->fd(), POLLIN, 0};
    sys::wait_until({&listener, 1}, std::nullopt);
    if (listener.revents != 0 && !sys::signals::shutdown_requested()) return true;
  }
}

void Server::serve_here(net::Connection& connection) {
  logging::info(Event("accept_connections", Result::kSuccess).with("ip", connection.peer()));
  serve(connection);
}

void Server::serve_in_child(net::Connection& connection) {
  if (sys::signals::consume_child_exited()) children_.reap();
  if (children_.running() >= config_.max_children) {
    refuse(connection);
    return;
  }
  logging::info(Event("accept_connections", Result::kSuccess).with("ip", connection.peer()));
  children_.spawn([&] {
    listener_->close();
    return serve(connection);
  });
  // The child has its own copy of the socket; the parent's is closed at once.
  connection.close();
}

void Server::refuse(net::Connection& connection) {
  logging::warning(Event("accept_connections", Result::kFail)
                       .with("ip", connection.peer())
                       .with("error", "refused: " + std::to_string(children_.running()) +
                                          " children already running (SERVER_MAX_CHILDREN)"));
  try {
    service_->refuse(connection);
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

int Server::serve(net::Connection& connection) {
  const std::string peer = connection.peer();
  connection.set_idle_timeout(config_.idle_timeout);
  int code = 0;
  bool handed_over = false;
  try {
    handed_over = service_->serve(connection);
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
  listener_->close();
  logging::info(Event("close_listener", Result::kSuccess));
  const std::size_t children = children_.terminate_all(kChildGracePeriod);
  logging::info(Event("terminate_children", Result::kSuccess).with("count", children));
  service_->shut_down();
  logging::info(Event("shutdown", Result::kSuccess));
}

}  // namespace

int run_server(const config::ServerConfig& config) {
  Server server(config);
  return server.run();
}

}  // namespace tp0::server
