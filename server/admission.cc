#include "server/admission.h"

#include <algorithm>

namespace tp0::server {

std::size_t Admission::strangers(const std::string* address) const {
  return std::count_if(children_.begin(), children_.end(), [address](const auto& child) {
    return !child.second.member && (address == nullptr || child.second.address == *address);
  });
}

std::optional<std::string> Admission::refusal(const std::string& address, std::size_t running) const {
  if (running >= max_children_) {
    return std::to_string(running) + " children already running (SERVER_MAX_CHILDREN)";
  }
  if (const std::size_t all = strangers(); all >= max_strangers_) {
    return std::to_string(all) + " connections still introducing themselves, half of SERVER_MAX_CHILDREN";
  }
  if (const std::size_t from_address = strangers(&address); from_address >= per_address_) {
    return std::to_string(from_address) +
           " connections from this address still introducing themselves "
           "(SERVER_MAX_INTRODUCTIONS_PER_ADDRESS)";
  }
  return std::nullopt;
}

void Admission::admitted(pid_t child, const std::string& address) {
  children_[child] = Child{address, std::nullopt};
}

std::optional<pid_t> Admission::identified(pid_t child, std::uint32_t member) {
  const auto found = children_.find(child);
  if (found == children_.end() || found->second.member) return std::nullopt;
  found->second.member = member;
  const auto older = std::find_if(children_.begin(), children_.end(), [&](const auto& other) {
    return other.first != child && other.second.member == member;
  });
  if (older == children_.end()) return std::nullopt;
  // Ended by the caller: neither a stranger nor the member's conversation any more.
  const pid_t pid = older->first;
  children_.erase(older);
  return pid;
}

}  // namespace tp0::server
