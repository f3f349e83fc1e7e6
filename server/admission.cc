#include "server/admission.h"

#include <algorithm>

#include "common/net/address.h"

namespace tp0::server {
namespace {

Admission::Entry refused(std::string why) {
  Admission::Entry entry;
  entry.why = std::move(why);
  return entry;
}

}  // namespace

Admission::Admission(std::size_t max_children, std::size_t per_network, std::uint32_t per_second,
                     std::chrono::milliseconds replace_interval)
    : max_children_(max_children),
      max_strangers_(std::max<std::size_t>(1, max_children / 2)),
      per_network_(per_network),
      per_second_(per_second),
      replace_interval_(replace_interval) {}

std::size_t Admission::strangers(const std::string* network) const {
  return std::count_if(children_.begin(), children_.end(), [network](const auto& child) {
    return !child.second.member && (network == nullptr || child.second.network == *network);
  });
}

std::map<pid_t, Admission::Child>::iterator Admission::oldest_stranger(const std::string* network) {
  auto oldest = children_.end();
  for (auto it = children_.begin(); it != children_.end(); ++it) {
    const Child& child = it->second;
    if (child.member || (network != nullptr && child.network != *network)) continue;
    if (oldest == children_.end() || child.arrival < oldest->second.arrival) oldest = it;
  }
  return oldest;
}

bool Admission::take_token(const std::string& network, Clock::time_point now) {
  if (buckets_.size() >= kMaxNetworks) {
    std::erase_if(buckets_, [&](const auto& bucket) {
      const std::chrono::duration<double> since = now - bucket.second.filled;
      return bucket.second.tokens + since.count() * per_second_ >= per_second_;
    });
    if (buckets_.size() >= kMaxNetworks) buckets_.clear();
  }
  const auto [found, first] = buckets_.try_emplace(network, Bucket{per_second_, now});
  Bucket& bucket = found->second;
  const std::chrono::duration<double> since = now - bucket.filled;
  bucket.tokens = std::min(per_second_, bucket.tokens + since.count() * per_second_);
  bucket.filled = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

Admission::Entry Admission::enter(const std::string& address, std::size_t running, Clock::time_point now) {
  const std::string network = net::network_of(address);
  const std::size_t all = strangers();
  const bool no_child_left = running >= max_children_;
  if (no_child_left && all == 0) {
    return refused(std::to_string(running) + " children already running (SERVER_MAX_CHILDREN)");
  }
  if (!take_token(network, now)) {
    return refused("more than " + std::to_string(static_cast<std::uint64_t>(per_second_)) +
                   " new connections a second from " + network + " (SERVER_INTRODUCTIONS_PER_SECOND)");
  }
  Entry entry;
  entry.admitted = true;
  auto oldest = children_.end();
  if (const std::size_t from_network = strangers(&network); from_network >= per_network_) {
    oldest = oldest_stranger(&network);
    entry.why = std::to_string(from_network) + " connections from " + network +
                " still introducing themselves (SERVER_MAX_INTRODUCTIONS_PER_NETWORK)";
  } else if (all >= max_strangers_ || no_child_left) {
    oldest = oldest_stranger();
    entry.why = no_child_left ? std::to_string(running) + " children already running (SERVER_MAX_CHILDREN)"
                              : std::to_string(all) +
                                    " connections still introducing themselves, half of SERVER_MAX_CHILDREN";
  }
  if (oldest != children_.end()) {
    entry.displaced = oldest->first;
    entry.displaced_address = oldest->second.address;
    children_.erase(oldest);
  }
  return entry;
}

void Admission::admitted(pid_t child, const std::string& address) {
  children_[child] = Child{address, net::network_of(address), arrivals_++, std::nullopt};
}

std::optional<Admission::Clash> Admission::identified(pid_t child, std::uint32_t member,
                                                      Clock::time_point now) {
  const auto newer = children_.find(child);
  if (newer == children_.end() || newer->second.member) return std::nullopt;
  newer->second.member = member;
  const auto older = std::find_if(children_.begin(), children_.end(), [&](const auto& other) {
    return other.first != child && other.second.member == member;
  });
  if (older == children_.end()) return std::nullopt;
  const auto last = replaced_at_.find(member);
  const bool replaced = last == replaced_at_.end() || now - last->second >= replace_interval_;
  const auto ended = replaced ? older : newer;
  const auto kept = replaced ? newer : older;
  Clash clash{ended->first, ended->second.address, kept->first, kept->second.address, replaced};
  if (replaced) replaced_at_[member] = now;
  // Ended by the caller: neither a stranger nor the member's conversation any more.
  children_.erase(ended);
  return clash;
}

}  // namespace tp0::server
