#include "common/net/connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/net/errors.h"
#include "common/sys/signals.h"

namespace tp0::net {
namespace {

// The socket itself. Tried without blocking (MSG_DONTWAIT) whatever the descriptor's
// mode: a busy connection costs one system call per transfer instead of two.
class PlainSocket final : public Transport {
 public:
  Attempt send(int fd, std::span<const std::byte> data, const std::string& peer) override {
    while (true) {
      const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent >= 0) return {static_cast<std::size_t>(sent), 0};
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, POLLOUT};
      if (errno != EINTR) throw NetError("send to " + peer + ": " + std::strerror(errno));
    }
  }

  Attempt receive(int fd, std::span<std::byte> out, const std::string& peer) override {
    while (true) {
      const ssize_t received = ::recv(fd, out.data(), out.size(), MSG_DONTWAIT);
      if (received >= 0) return {static_cast<std::size_t>(received), 0};
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, POLLIN};
      if (errno == ECONNRESET) return {0, 0};
      if (errno != EINTR) throw NetError("receive from " + peer + ": " + std::strerror(errno));
    }
  }
};

}  // namespace

Connection::Connection(sys::UniqueFd fd, std::string peer)
    : fd_(std::move(fd)), transport_(std::make_unique<PlainSocket>()), peer_(std::move(peer)) {}

void Connection::set_deadline(std::optional<std::chrono::milliseconds> budget) {
  if (!budget) {
    deadline_.reset();
    return;
  }
  deadline_ = std::chrono::steady_clock::now() + *budget;
  deadline_budget_ = *budget;
}

void Connection::wait(short events, const char* doing) {
  std::optional<std::chrono::milliseconds> timeout = idle_timeout_;
  bool deadline_first = false;
  if (deadline_) {
    const auto left = std::max(std::chrono::milliseconds{0},
                               std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - std::chrono::steady_clock::now()));
    if (!timeout || left < *timeout) {
      timeout = left;
      deadline_first = true;
    }
  }
  switch (sys::wait_for(fd_.get(), events, timeout)) {
    case sys::WaitResult::kReady:
      return;
    case sys::WaitResult::kShutdown:
      throw ShutdownRequested();
    case sys::WaitResult::kTimeout:
      if (deadline_first) {
        throw IdleTimeout(std::string(doing) + " " + peer_ + ": not done within its deadline of " +
                          std::to_string(deadline_budget_.count()) + " ms");
      }
      throw IdleTimeout(std::string(doing) + " " + peer_ + ": no activity for " +
                        std::to_string(idle_timeout_->count()) + " ms");
  }
}

// The shutdown flag is checked before every attempt, so a peer that never lets the
// socket run dry cannot delay SIGTERM.
void Connection::write_all(std::span<const std::byte> data) {
  while (!data.empty()) {
    if (sys::signals::shutdown_requested()) throw ShutdownRequested();
    const Transport::Attempt attempt = transport_->send(fd_.get(), data, peer_);
    if (attempt.wait_for != 0) {
      wait(attempt.wait_for, "send to");
      continue;
    }
    data = data.subspan(attempt.bytes);
  }
}

std::size_t Connection::read_some(std::span<std::byte> out) {
  while (true) {
    if (sys::signals::shutdown_requested()) throw ShutdownRequested();
    const Transport::Attempt attempt = transport_->receive(fd_.get(), out, peer_);
    if (attempt.wait_for == 0) return attempt.bytes;
    wait(attempt.wait_for, "receive from");
  }
}

void Connection::return_to_plain() {
  while (true) {
    if (sys::signals::shutdown_requested()) throw ShutdownRequested();
    const Transport::Attempt attempt = transport_->finish(fd_.get(), peer_);
    if (attempt.wait_for == 0) break;
    wait(attempt.wait_for, "end the secure session with");
  }
  transport_ = std::make_unique<PlainSocket>();
}

void Connection::close_quietly() noexcept {
  transport_.reset();
  fd_.reset();
}

void Connection::close() {
  if (fd_ && transport_) transport_->say_goodbye(fd_.get());
  transport_.reset();
  try {
    fd_.close();
  } catch (const std::system_error& error) {
    throw NetError("close connection to " + peer_ + ": " + error.what());
  }
}

}  // namespace tp0::net
