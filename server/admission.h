#pragma once

#include <sys/types.h>

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
  struct Limits {
    std::size_t children = 64;    // SERVER_MAX_CHILDREN: every child, the waiting room among them
    std::size_t strangers = 32;   // half of them
    std::size_t per_address = 4;  // SERVER_MAX_INTRODUCTIONS_PER_ADDRESS
  };

  // Half of SERVER_MAX_CHILDREN (at least one) for strangers, `per_address` of them from
  // any one address.
  static Limits limits_for(std::size_t max_children, std::size_t per_address);

  explicit Admission(Limits limits) : limits_(limits) {}

  // Why a new connection from `address` gets no child when `running` children are
  // running, naming the setting that says so; nullopt when it may have one.
  std::optional<std::string> refusal(const std::string& address, std::size_t running) const;

  // A child was forked for a connection from `address`: a stranger for now.
  void admitted(pid_t child, const std::string& address);

  // `child` proved it speaks for `member`. Returns the child of the member's older
  // conversation, which the caller ends, if one is running; nullopt otherwise, and for a
  // child that is not a stranger (already reaped).
  std::optional<pid_t> identified(pid_t child, std::uint32_t member);

  // `child` exited (or was never admitted: then nothing changes).
  void exited(pid_t child);

 private:
  struct Child {
    std::string address;
    std::optional<std::uint32_t> member;  // none while a stranger
  };

  void forget_stranger(const std::string& address);

  Limits limits_;
  std::map<pid_t, Child> children_;
  std::map<std::string, std::size_t> strangers_per_address_;
  std::size_t strangers_ = 0;
  std::map<std::uint32_t, pid_t> conversation_of_;  // member → its child
};

}  // namespace tp0::server
