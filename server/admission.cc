#include "server/admission.h"

#include <algorithm>

namespace tp0::server {

Admission::Limits Admission::limits_for(std::size_t max_children, std::size_t per_address) {
  return Limits{max_children, std::max<std::size_t>(1, max_children / 2), per_address};
}

std::optional<std::string> Admission::refusal(const std::string& address, std::size_t running) const {
  if (running >= limits_.children) {
    return std::to_string(running) + " children already running (SERVER_MAX_CHILDREN)";
  }
  if (strangers_ >= limits_.strangers) {
    return std::to_string(strangers_) +
           " connections still introducing themselves, half of SERVER_MAX_CHILDREN";
  }
  const auto from_address = strangers_per_address_.find(address);
  if (from_address != strangers_per_address_.end() && from_address->second >= limits_.per_address) {
    return std::to_string(from_address->second) +
           " connections from this address still introducing themselves "
           "(SERVER_MAX_INTRODUCTIONS_PER_ADDRESS)";
  }
  return std::nullopt;
}

void Admission::admitted(pid_t child, const std::string& address) {
  children_[child] = Child{address, std::nullopt};
  ++strangers_per_address_[address];
  ++strangers_;
}

std::optional<pid_t> Admission::identified(pid_t child, std::uint32_t member) {
  const auto found = children_.find(child);
  if (found == children_.end() || found->second.member) return std::nullopt;
  forget_stranger(found->second.address);
  found->second.member = member;
  const auto [conversation, first] = conversation_of_.try_emplace(member, child);
  if (first) return std::nullopt;
  const pid_t older = conversation->second;
  conversation->second = child;
  return older;
}

void Admission::exited(pid_t child) {
  const auto found = children_.find(child);
  if (found == children_.end()) return;
  if (!found->second.member) {
    forget_stranger(found->second.address);
  } else if (const auto conversation = conversation_of_.find(*found->second.member);
             conversation != conversation_of_.end() && conversation->second == child) {
    conversation_of_.erase(conversation);
  }
  children_.erase(found);
}

void Admission::forget_stranger(const std::string& address) {
  --strangers_;
  const auto from_address = strangers_per_address_.find(address);
  if (--from_address->second == 0) strangers_per_address_.erase(from_address);
}

}  // namespace tp0::server
