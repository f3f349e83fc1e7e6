#include "server/member_reports.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/logging/logging.h"
#include "common/sys/system_error.h"

namespace tp0::server {

MemberReports::MemberReports() {
  std::array<int, 2> ends{};
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, ends.data()) == -1) {
    throw sys::last_error("make the socket pair for member reports");
  }
  parent_end_ = sys::UniqueFd(ends[0]);
  children_end_ = sys::UniqueFd(ends[1]);
}

void MemberReports::report(std::uint32_t member) const {
  const Report report{::getpid(), member};
  if (::send(children_end_.get(), &report, sizeof report, MSG_DONTWAIT | MSG_NOSIGNAL) == sizeof report)
    return;
  logging::warning(logging::Event("report_member", logging::Result::kFail)
                       .with("agency", member)
                       .with("error", std::strerror(errno)));
}

std::vector<MemberReports::Report> MemberReports::receive() const {
  std::vector<Report> reports;
  while (true) {
    Report report;
    const ssize_t received =
        sys::retry_on_eintr([&] { return ::recv(parent_end_.get(), &report, sizeof report, MSG_DONTWAIT); });
    if (received == -1) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return reports;
      throw sys::last_error("receive member reports");
    }
    // A datagram of another size comes from no child of this server: skipped.
    if (received == sizeof report) reports.push_back(report);
  }
}

}  // namespace tp0::server
