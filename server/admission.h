#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tp0::server {

// Who may have one of a process server's children (PostgreSQL's reserved connections and
// nginx's limit_conn and limit_req are the models). A connection is a stranger until its
// child reports the member its Hello proved it to be (member_reports.h). Strangers cost a
// child each and may be anyone who reaches the port, so they get a bounded share of the
// children, a few per network (the /24 or /64 one party is likely to hold, common/net/
// address.h), and a rate per network before any fork. When their share, or their
// network's, is full, a new stranger displaces the oldest one rather than being refused:
// a crowd that opens connections and leaves them silent must then open more than the
// share within one honest handshake (milliseconds) to keep an agency out, not merely
// outnumber the slots. Members never lose their room to strangers. A member has one
// conversation at a time: a newer one (a reconnect) replaces the older, at most once per
// SERVER_REPLACE_INTERVAL; inside it the newer is the one ended, so that a stolen key
// cannot cut the agency's conversation at will.
//
// Only the parent keeps it; it decides, and the accept loop forks, refuses and signals.
class Admission {
 public:
  using Clock = std::chrono::steady_clock;

  // SERVER_MAX_CHILDREN, every child (the waiting room among them), half of them (at
  // least one) for strangers, `per_network` of those (SERVER_MAX_INTRODUCTIONS_PER_NETWORK)
  // from any one network, which may open `per_second` of them a second, as many at once
  // (SERVER_INTRODUCTIONS_PER_SECOND); a member's conversation replaced at most once per
  // `replace_interval` (SERVER_REPLACE_INTERVAL).
  Admission(std::size_t max_children, std::size_t per_network, std::uint32_t per_second,
            std::chrono::milliseconds replace_interval);

  // What becomes of a new connection.
  struct Entry {
    bool admitted = false;
    // Refused: why, naming the setting that says so. Admitted in place of a stranger: why
    // that one was displaced.
    std::string why;
    std::optional<pid_t> displaced;  // the stranger whose child the caller ends first
    std::string displaced_address;
  };

  // A new connection from `address` when `running` children are running. Admitting it
  // spends one of its network's connections for this second.
  Entry enter(const std::string& address, std::size_t running, Clock::time_point now);

  // A child was forked for a connection from `address`: a stranger for now.
  void admitted(pid_t child, const std::string& address);

  // Two conversations of one member: the caller ends `ended`, the other goes on.
  struct Clash {
    pid_t ended = 0;
    std::string ended_address;
    pid_t kept = 0;
    std::string kept_address;
    bool replaced = false;  // true: the older ended; false: the newer, inside the interval
  };

  // `child` proved it speaks for `member` at `now`. Returns the clash with the member's
  // older conversation if one is running; nullopt otherwise, and for a child that is not
  // a stranger (already reaped).
  std::optional<Clash> identified(pid_t child, std::uint32_t member, Clock::time_point now);

  // `child` exited (or was never admitted, or was ended by a clash or a displacement:
  // then nothing changes).
  void exited(pid_t child) { children_.erase(child); }

 private:
  struct Child {
    std::string address;
    std::string network;
    std::uint64_t arrival = 0;            // orders the strangers, oldest first
    std::optional<std::uint32_t> member;  // none while a stranger
  };
  // nginx's limit_req: a bucket per network, refilled at per_second up to as many.
  struct Bucket {
    double tokens = 0;
    Clock::time_point filled;
  };

  // How many strangers there are, of `network` only if given. The children are few
  // (SERVER_MAX_CHILDREN): counting them at each new connection costs less than its fork.
  std::size_t strangers(const std::string* network = nullptr) const;
  // The oldest stranger, of `network` only if given; children_.end() when none.
  std::map<pid_t, Child>::iterator oldest_stranger(const std::string* network = nullptr);
  // Whether `network` may open one more connection at `now`; if so it is counted.
  bool take_token(const std::string& network, Clock::time_point now);

  // The networks remembered at once: past this, those whose bucket is full again are
  // forgotten, and if every one is still in use (a crowd of more networks than this within
  // a second) all are, so that memory stays bounded whatever the number of networks; the
  // displacement of the oldest stranger still holds against such a crowd.
  static constexpr std::size_t kMaxNetworks = 4096;

  std::size_t max_children_;
  std::size_t max_strangers_;
  std::size_t per_network_;
  double per_second_;
  std::chrono::milliseconds replace_interval_;
  std::uint64_t arrivals_ = 0;
  // Every child admitted and not yet exited, but for those a clash or a displacement
  // ended: at most one conversation per member.
  std::map<pid_t, Child> children_;
  std::map<std::string, Bucket> buckets_;
  // When each member's conversation was last replaced (one entry per member of the round).
  std::map<std::uint32_t, Clock::time_point> replaced_at_;
};

}  // namespace tp0::server
