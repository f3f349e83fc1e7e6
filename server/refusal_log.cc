#include "server/refusal_log.h"

#include <algorithm>

#include "common/logging/logging.h"

namespace tp0::server {

void RefusalLog::refused(const std::string& address, const std::string& why, Clock::time_point now) {
  const auto [found, first] = addresses_.try_emplace(address);
  Address& refusals = found->second;
  ++refusals.unlogged;
  refusals.why = why;
  if (first || now - refusals.last_line >= interval_) {
    log(address, refusals, now);
    // Addresses from a wide range of them, each refused once, must not pile up.
    if (addresses_.size() > sweep_at_) {
      sweep(now);
      sweep_at_ = std::max(kFirstSweep, 2 * addresses_.size());
    }
    return;
  }
  const Clock::time_point due = refusals.last_line + interval_;
  next_due_ = next_due_ ? std::min(*next_due_, due) : due;
}

void RefusalLog::log_due(Clock::time_point now) {
  if (next_due_ && now >= *next_due_) sweep(now);
}

void RefusalLog::sweep(Clock::time_point now, bool all_due) {
  next_due_.reset();
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    Address& refusals = it->second;
    const Clock::time_point due = refusals.last_line + interval_;
    if (now < due && !all_due) {
      if (refusals.unlogged > 0) next_due_ = next_due_ ? std::min(*next_due_, due) : due;
      ++it;
    } else if (refusals.unlogged > 0) {
      log(it->first, refusals, now);
      ++it;
    } else {
      it = addresses_.erase(it);
    }
  }
}

void RefusalLog::log_all() { sweep(Clock::now(), true); }

void RefusalLog::log(const std::string& address, Address& refusals, Clock::time_point now) {
  logging::warning(logging::Event("accept_connections", logging::Result::kFail)
                       .with("ip", address)
                       .with("refused", refusals.unlogged)
                       .with("error", refusals.why));
  refusals.unlogged = 0;
  refusals.last_line = now;
}

}  // namespace tp0::server
