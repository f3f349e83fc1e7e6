#include "common/net/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/net/errors.h"
#include "common/sys/signals.h"
#include "common/sys/system_error.h"

namespace tp0::net {
namespace {

// What a send(2) or recv(2) that returned `result` means for the connection: the bytes
// moved, or, when the socket is not ready, the event to wait for (`ready`).
Transport::Attempt outcome(ssize_t result, short ready, const char* doing, const std::string& peer) {
  if (result >= 0) return {static_cast<std::size_t>(result), 0};
  if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, ready};
  // Not the stream's end: a peer that resets has not said it was done.
  if (errno == ECONNRESET)
    throw ConnectionReset(std::string(doing) + " " + peer + ": connection reset by peer");
  throw NetError(std::string(doing) + " " + peer + ": " + std::strerror(errno));
}

// The socket itself. Tried without blocking (MSG_DONTWAIT) whatever the descriptor's
// mode: a busy connection costs one system call per transfer instead of two.
class PlainSocket final : public Transport {
 public:
  Attempt send(int fd, std::span<const std::byte> data, const std::string& peer) override {
    const auto sent = sys::retry_on_eintr(
        [&] { return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT); });
    return outcome(sent, POLLOUT, "send to", peer);
  }

  Attempt receive(int fd, std::span<std::byte> out, const std::string& peer) override {
    const auto received =
        sys::retry_on_eintr([&] { return ::recv(fd, out.data(), out.size(), MSG_DONTWAIT); });
    return outcome(received, POLLIN, "receive from", peer);
  }
};

}  // namespace

Connection::Connection(sys::UniqueFd fd, std::string peer)
    : fd_(std::move(fd)), transport_(std::make_unique<PlainSocket>()), peer_(std::move(peer)) {}

void Connection::set_deadline(std::optional<std::chrono::milliseconds> budget, const char* bounds) {
  if (!budget) {
    deadline_.reset();
    return;
  }
  deadline_ = Deadline{std::chrono::steady_clock::now() + *budget, *budget, bounds};
}

void Connection::wait(short events, const char* doing) {
  const auto past_deadline = [&] {
    std::string what = std::string(doing) + " " + peer_ + ": ";
    if (deadline_->bounds != nullptr) what += std::string(deadline_->bounds) + " ";
    return IdleTimeout(what + "not done within its deadline of " + std::to_string(deadline_->budget.count()) +
                       " ms");
  };
  std::optional<std::chrono::milliseconds> timeout = idle_timeout_;
  bool deadline_first = false;
  if (deadline_) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline_->at - std::chrono::steady_clock::now());
    // Past it, no wait at all: a poll of 0 ms could still find a byte, and a peer that
    // times its bytes well would go on forever.
    if (left <= std::chrono::milliseconds{0}) throw past_deadline();
    if (!timeout || left < *timeout) {
      timeout = left;
      deadline_first = true;
    }
  }
  const sys::WaitResult waited = sys::wait_for(fd_.get(), events, timeout);
  if (waited == sys::WaitResult::kReady) return;
  if (waited == sys::WaitResult::kShutdown) throw ShutdownRequested();
  if (deadline_first) throw past_deadline();
  throw IdleTimeout(std::string(doing) + " " + peer_ + ": no activity for " +
                    std::to_string(idle_timeout_->count()) + " ms");
}

DeadlineGuard::DeadlineGuard(Connection& connection, std::optional<std::chrono::milliseconds> budget,
                             const char* bounds)
    : connection_(connection), saved_(connection.deadline_) {
  if (!budget) return;
  const auto at = std::chrono::steady_clock::now() + *budget;
  if (!saved_ || at < saved_->at) connection_.deadline_ = Connection::Deadline{at, *budget, bounds};
}

void Connection::write_all(std::span<const std::byte> data) {
  while (!data.empty()) {
    data =
        data.subspan(until_done("send to", [&] { return transport_->send(fd_.get(), data, peer_); }).bytes);
  }
}

std::size_t Connection::read_some(std::span<std::byte> out) {
  return until_done("receive from", [&] { return transport_->receive(fd_.get(), out, peer_); }).bytes;
}

void Connection::return_to_plain() {
  until_done("end the secure session with", [&] { return transport_->finish(fd_.get(), peer_); });
  transport_ = std::make_unique<PlainSocket>();
}

bool Connection::holds_whole_message(std::size_t header, std::size_t length_bytes) const {
  std::array<std::byte, 8> head{};
  if (header > head.size() || length_bytes > header) return false;
  if (::recv(fd_.get(), head.data(), header, MSG_PEEK | MSG_DONTWAIT) != static_cast<ssize_t>(header)) {
    return false;
  }
  std::size_t body = 0;
  for (std::size_t i = header - length_bytes; i < header; ++i)
    body = body << 8 | std::to_integer<std::size_t>(head[i]);
  int unread = 0;
  return ::ioctl(fd_.get(), FIONREAD, &unread) == 0 && static_cast<std::size_t>(unread) >= header + body;
}

std::chrono::milliseconds Connection::age_before_first_send() const {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(fd_.get(), IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return {};
  return std::chrono::milliseconds(info.tcpi_last_data_sent);
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
