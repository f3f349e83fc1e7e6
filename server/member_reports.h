#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "common/sys/unique_fd.h"

namespace tp0::server {

// How a connection's child tells the parent which member its connection proved to be
// (process mode), so that the parent counts it as a member rather than as a stranger
// still introducing itself, and ends the member's older conversation (admission.h).
// A Unix datagram socket pair made before the first fork: each report is one datagram,
// read whole or not at all, whichever child sent it.
class MemberReports {
 public:
  struct Report {
    pid_t pid = 0;
    std::uint32_t member = 0;
  };

  // Throws std::system_error if the socket pair cannot be made.
  MemberReports();

  // Child side: this process now speaks for `member`. Never blocks: if the parent's
  // socket is full the report is dropped and logged, and the parent goes on counting
  // the connection as one introducing itself, which costs a share of the children
  // introductions get, never a bet.
  void report(std::uint32_t member) const;

  // Parent side: the descriptor to poll, readable when reports wait.
  int fd() const { return parent_end_.get(); }
  // Parent side: every report waiting, without blocking.
  std::vector<Report> receive() const;

 private:
  sys::UniqueFd parent_end_;
  sys::UniqueFd children_end_;
};

}  // namespace tp0::server
