#include "common/net/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/net/errors.h"
#include "common/sys/signals.h"

namespace tp0::net {

Connection::Connection(sys::UniqueFd fd, std::string peer)
    : fd_(std::move(fd)), peer_(std::move(peer)) {}

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

// Both loops try the socket first and poll only when it would block: a busy connection
// costs one system call per transfer instead of two. The shutdown flag is still checked
// before every attempt, so a peer that never lets the socket run dry cannot delay SIGTERM.
void Connection::write_all(std::span<const std::byte> data) {
  while (!data.empty()) {
    if (sys::signals::shutdown_requested()) throw ShutdownRequested();
    ssize_t sent = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == -1 && errno == ENOTSOCK) {
      // Not a socket (tests use pipes too): write() may block, so wait first.
      wait(POLLOUT, "send to");
      sent = ::write(fd_.get(), data.data(), data.size());
    }
    if (sent == -1) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLOUT, "send to");
        continue;
      }
      if (errno == EINTR) continue;
      throw NetError("send to " + peer_ + ": " + std::strerror(errno));
    }
    data = data.subspan(static_cast<std::size_t>(sent));
  }
}

std::size_t Connection::read_some(std::span<std::byte> out) {
  while (true) {
    if (sys::signals::shutdown_requested()) throw ShutdownRequested();
    ssize_t received = ::recv(fd_.get(), out.data(), out.size(), MSG_DONTWAIT);
    if (received == -1 && errno == ENOTSOCK) {
      wait(POLLIN, "receive from");
      received = ::read(fd_.get(), out.data(), out.size());
    }
    if (received >= 0) return static_cast<std::size_t>(received);
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait(POLLIN, "receive from");
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return 0;
    throw NetError("receive from " + peer_ + ": " + std::strerror(errno));
  }
}

void Connection::close() {
  try {
    fd_.close();
  } catch (const std::system_error& error) {
    throw NetError("close connection to " + peer_ + ": " + error.what());
  }
}

}  // namespace tp0::net
