#include "server/handback.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/logging/logging.h"
#include "common/net/errors.h"
#include "common/sys/signals.h"
#include "common/sys/system_error.h"
#include "common/sys/wait.h"

namespace tp0::server {
namespace {

// Every field a multiple of 4 bytes wide, so the datagram has no padding left uninitialised.
enum class NoteKind : std::uint32_t { kConnection = 1, kDraw = 2 };

// One datagram of the pair (SOCK_SEQPACKET keeps messages whole, whichever of the many
// children sends them). The peer's address travels as text: it is what the logs show.
struct Note {
  NoteKind kind = NoteKind::kDraw;
  std::uint32_t agency = 0;
  char peer[64] = {};
};

// One attempt that never blocks. Returns false when the socket's buffer is full.
bool try_send_note(int fd, const Note& note, int attached_fd) {
  iovec data{const_cast<Note*>(&note), sizeof note};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (attached_fd >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &attached_fd, sizeof(int));
  }
  if (sys::retry_on_eintr([&] { return ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT); }) != -1)
    return true;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
  throw sys::last_error("hand a message to the waiting room");
}

}  // namespace

Handback::Handback() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) == -1) {
    throw sys::last_error("create the hand-back socket pair");
  }
  room_end_ = sys::UniqueFd(ends[0]);
  connection_end_ = sys::UniqueFd(ends[1]);
}

void Handback::hand_over(std::uint32_t agency, const net::Connection& connection,
                         std::chrono::milliseconds patience) {
  Note note{NoteKind::kConnection, agency, {}};
  std::strncpy(note.peer, connection.peer().c_str(), sizeof note.peer - 1);
  const sys::Deadline deadline = std::chrono::steady_clock::now() + patience;
  while (!try_send_note(connection_end_.get(), note, connection.fd())) {
    pollfd room{connection_end_.get(), POLLOUT, 0};
    const bool woken = !sys::signals::shutdown_requested() && sys::wait_until({&room, 1}, deadline);
    // A shutdown asked before the wait or during it wins over a room that has space again.
    if (sys::signals::shutdown_requested()) throw net::ShutdownRequested();
    if (!woken) {
      throw HandOverTimedOut("hand the connection of agency " + std::to_string(agency) +
                             " to the waiting room: it took nothing for " + std::to_string(patience.count()) +
                             " ms");
    }
  }
}

void Handback::announce_draw() {
  try {
    try_send_note(connection_end_.get(), Note{}, -1);
  } catch (const std::system_error&) {
    // The waiting room also looks at the barrier now and then.
  }
}

std::vector<Handback::Waiting> Handback::receive() {
  std::vector<Waiting> received;
  while (true) {
    Note note;
    iovec data{&note, sizeof note};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t got = sys::retry_on_eintr(
        [&] { return ::recvmsg(room_end_.get(), &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC); });
    if (got == -1) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return received;
      throw sys::last_error("receive from the hand-back socket");
    }
    // Every connection end is closed: the server is gone, nothing more will come.
    if (got == 0) return received;
    // The control buffer has room for one descriptor, and nothing else is ever sent.
    sys::UniqueFd attached;
    if (const cmsghdr* header = CMSG_FIRSTHDR(&message);
        header != nullptr && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
      attached = sys::UniqueFd(fd);
    }
    if (got != static_cast<ssize_t>(sizeof note) || note.kind != NoteKind::kConnection) continue;
    note.peer[sizeof note.peer - 1] = '\0';
    if ((message.msg_flags & MSG_CTRUNC) != 0 || !attached) {
      logging::warning(
          logging::Event("receive_connection", logging::Result::kFail)
              .with("ip", note.peer)
              .with("agency", note.agency)
              .with("error", "its descriptor was dropped: the waiting room has none free (RLIMIT_NOFILE)"));
      continue;
    }
    received.push_back({note.agency, net::Connection(std::move(attached), note.peer)});
  }
}

}  // namespace tp0::server
