#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tp0::server {

// Who may have one of a process server's children (PostgreSQL's reserved connections and
// nginx's limit_conn are the models). A connection is a stranger until its child reports
// the member its Hello proved it to be (member_reports.h). Strangers cost a child each
// and may be anyone who reaches the port, so they get a bounded share of the children,
// and a few per address: however many connections outsiders open and leave silent, the
// rest of the children stay for members, and a stranger is gone at its introduction's
// deadline (SERVER_HELLO_TIMEOUT). A member has one conversation at a time: a new one
// (a reconnect) replaces the older.
//
// Only the parent keeps it; it decides, and the accept loop forks, refuses and signals.
class Admission {
 public:
  // SERVER_MAX_CHILDREN, every child (the waiting room among them), half of them (at
  // least one) for strangers, `per_address` of those (SERVER_MAX_INTRODUCTIONS_PER_ADDRESS)
  // from any one address.
  Admission(std::size_t max_children, std::size_t per_address)
      : max_children_(max_children),
        max_strangers_(std::max<std::size_t>(1, max_children / 2)),
        per_address_(per_address) {}

  // Why a new connection from `address` gets no child when `running` children are
  // running, naming the setting that says so; nullopt when it may have one.
  std::optional<std::string> refusal(const std::string& address, std::size_t running) const;

  // A child was forked for a connection from `address`: a stranger for now.
  void admitted(pid_t child, const std::string& address);

  // `child` proved it speaks for `member`. Returns the child of the member's older
  // conversation, which the caller ends, if one is running; nullopt otherwise, and for a
  // child that is not a stranger (already reaped).
  std::optional<pid_t> identified(pid_t child, std::uint32_t member);

  // `child` exited (or was never admitted, or was replaced: then nothing changes).
  void exited(pid_t child) { children_.erase(child); }

 private:
  struct Child {
    std::string address;
    std::optional<std::uint32_t> member;  // none while a stranger
  };

  // How many strangers there are, from `address` only if given. The children are few
  // (SERVER_MAX_CHILDREN): counting them at each new connection costs less than its fork.
  std::size_t strangers(const std::string* address = nullptr) const;

  std::size_t max_children_;
  std::size_t max_strangers_;
  std::size_t per_address_;
  // Every child admitted and not yet exited, but for one a member's newer conversation
  // replaced: at most one per member.
  std::map<pid_t, Child> children_;
};

}  // namespace tp0::server
