#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace tp0::server {

// The accept loop's refusals, logged once per address per interval: a peer that connects
// in a loop to a server with no room for it writes a line each interval, not one per
// attempt. Each line says how many connections of the address were refused since its
// previous one (`refused: N`) and why the last was.
class RefusalLog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RefusalLog(std::chrono::milliseconds interval) : interval_(interval) {}

  // Counts a refused connection from `address`; logs at once when the address had no
  // line within the interval.
  void refused(const std::string& address, const std::string& why, Clock::time_point now);
  // Logs the refusals counted and not yet logged of every address whose interval has
  // passed, and forgets the addresses quiet for as long.
  void log_due(Clock::time_point now);
  // When log_due() next has something to log; nullopt when nothing waits.
  std::optional<Clock::time_point> next_due() const { return next_due_; }
  // Logs every refusal counted and not yet logged: at shutdown.
  void log_all();

 private:
  struct Address {
    Clock::time_point last_line;
    std::size_t unlogged = 0;
    std::string why;  // of the last refusal
  };

  void log(const std::string& address, Address& refusals, Clock::time_point now);
  // Logs what is due (all that was counted if `all_due`), and forgets the addresses with
  // nothing to log whose interval passed.
  void sweep(Clock::time_point now, bool all_due = false);

  static constexpr std::size_t kFirstSweep = 1024;

  std::chrono::milliseconds interval_;
  std::map<std::string, Address> addresses_;
  std::optional<Clock::time_point> next_due_;
  std::size_t sweep_at_ = kFirstSweep;  // addresses known past which refused() sweeps
};

}  // namespace tp0::server
