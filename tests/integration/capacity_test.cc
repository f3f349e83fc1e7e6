// What outsiders and a member who misbehaves can take of a process server's capacity,
// while honest agencies play a round (admission.h): strangers share half the children,
// a few per address, each within one deadline for its introduction; a member holds one
// conversation at a time.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/net/errors.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/flood.h"
#include "tests/integration/raw_peer.h"

namespace tp0::testing {
namespace {

using std::chrono::milliseconds;

constexpr std::uint32_t kHonest = 5;
constexpr std::size_t kBets = 12000;
constexpr std::size_t kWinners = 7;
// The attackers' addresses, 20 connections from each: together more than the default 64
// children, so that a server with no share for strangers would have none left for the
// agencies; the four each may introduce at once are within the strangers' half.
const std::vector<std::string> kAttackerAddresses = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
constexpr std::size_t kPerAddress = 20;
// SERVER_MAX_INTRODUCTIONS_PER_NETWORK: the honest agencies all connect at once from
// 127.0.0.1, as agencies behind one address may, and the limit lets them all introduce
// themselves; so a refusal of theirs could only be the flood's doing. The attackers' four
// addresses at that limit still take less than the strangers' half of the children.
constexpr std::size_t kAdmittedPerAddress = kHonest;

struct Played {
  milliseconds took{0};       // from the agencies' start to the last one's exit
  std::size_t log_bytes = 0;  // what the server logged meanwhile
  std::size_t attacks = 0;    // connections the flood opened
};

// Writes the files of agencies 1 to kHonest, then starts their clients and times the
// round they play (expect_round_complete).
Played time_honest_round(Cluster& cluster) {
  std::vector<AgencyData> data;
  for (std::uint32_t agency = 1; agency <= kHonest; ++agency) {
    data.push_back(write_agency_file(cluster.dir().file("agency-" + std::to_string(agency) + ".csv"), agency,
                                     kBets, kWinners));
  }
  Process& server = cluster.server();
  const std::size_t log_before = server.output().size();
  const auto start = std::chrono::steady_clock::now();
  for (std::uint32_t agency = 1; agency <= kHonest; ++agency) {
    cluster.start_client(agency, {{"CLI_DATA_FILE", data[agency - 1].path}});
  }
  for (std::uint32_t agency = 1; agency <= kHonest; ++agency) cluster.client(agency).wait_exit(kRunTimeout);
  Played played;
  played.took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  played.log_bytes = server.output().size() - log_before;
  expect_round_complete(cluster, data);
  return played;
}

// The listen backlog above the flood's bursts: a full accept queue drops the SYN of an
// honest agency too, which then waits a second for its retry, whatever the children.
Environment server_settings() {
  return {{"SERVER_CONCURRENCY", "process"},
          {"SERVER_AGENCIES", std::to_string(kHonest)},
          // Several deadlines within the honest round, so that the attackers renew theirs.
          {"SERVER_HELLO_TIMEOUT", "500ms"},
          {"SERVER_LISTEN_BACKLOG", "128"},
          {"SERVER_MAX_INTRODUCTIONS_PER_NETWORK", std::to_string(kAdmittedPerAddress)}};
}

// A round with no attacker, then one while `kind` of flood runs from every attacker address.
Played play_under(std::optional<Flood::Kind> kind) {
  Cluster cluster;
  Process& server = cluster.start_server(server_settings());
  std::optional<Flood> flood;
  if (kind) {
    flood.emplace(cluster.port(), kAttackerAddresses, kPerAddress, *kind);
    // The attack is in place: every stranger the addresses may have is admitted.
    EXPECT_TRUE(server.wait_for_lines("action: accept_connections | result: success",
                                      kAttackerAddresses.size() * kAdmittedPerAddress, kStartTimeout))
        << server.output();
  }
  Played played = time_honest_round(cluster);
  if (!flood) return played;
  played.attacks = flood->opened();
  flood.reset();
  // Refused at every try past its four, each address has a refusal line per 10 s, not one
  // per attempt.
  std::map<std::string, std::size_t> lines_per_address;
  for (const auto& line : server.lines_containing("action: accept_connections | result: fail")) {
    ++lines_per_address[field_of(line, "ip")];
  }
  const std::size_t intervals = 1 + static_cast<std::size_t>(played.took / std::chrono::seconds(10));
  EXPECT_FALSE(lines_per_address.empty()) << "no attacker was refused";
  for (const auto& address : kAttackerAddresses) EXPECT_LE(lines_per_address[address], intervals) << address;
  EXPECT_EQ(lines_per_address.count("127.0.0.1"), 0U) << "an honest agency was refused: " << server.output();
  return played;
}

class Floods : public ::testing::TestWithParam<Flood::Kind> {};

TEST_P(Floods, FromSeveralAddressesDelayTheHonestAgenciesLessThanTheirOwnTime) {
  const Played alone = play_under(std::nullopt);
  const Played attacked = play_under(GetParam());
  std::cerr << "figure: " << (GetParam() == Flood::Kind::kSilent ? "silent" : "trickling") << " flood of "
            << attacked.attacks << " connections: honest agencies took " << alone.took.count()
            << " ms alone, " << attacked.took.count() << " ms under it; the server logged " << alone.log_bytes
            << " then " << attacked.log_bytes << " bytes\n";
  // Twice their time alone, and a scheduling quantum or two for a machine busy with the
  // attacker's own thread.
  EXPECT_LE(attacked.took, 2 * alone.took + milliseconds(250));
  // A few lines per connection the server forked for (accepted, forked, dropped at its
  // deadline, closed, reaped: about 500 bytes at DEBUG), and one per refused address per
  // interval: never one per refused attempt.
  EXPECT_LE(attacked.log_bytes, alone.log_bytes + attacked.attacks * 600);
}

INSTANTIATE_TEST_SUITE_P(Capacity, Floods, ::testing::Values(Flood::Kind::kSilent, Flood::Kind::kTrickle),
                         [](const ::testing::TestParamInfo<Flood::Kind>& param) {
                           return param.param == Flood::Kind::kSilent ? std::string("Silent")
                                                                      : std::string("Trickling");
                         });

// A member's certificate in an attacker's hands buys one conversation at a time: each new
// one it opens, says Hello and leaves idle ends the one before, so it never holds more
// than a child, and the honest agencies' round completes.
TEST(Capacity, AMemberOpeningIdleConversationsInALoopHoldsOneChildAtATime) {
  constexpr std::uint32_t kAttacker = kHonest + 1;
  Cluster cluster;
  Environment settings = server_settings();
  settings["SERVER_AGENCIES"] = std::to_string(kAttacker);
  Process& server = cluster.start_server(settings);
  std::atomic<bool> stop{false};
  std::size_t introductions = 0;
  std::thread attacker([&] {
    std::unique_ptr<RawPeer> previous;
    while (!stop) {
      std::unique_ptr<RawPeer> idle;
      try {
        idle = std::make_unique<RawPeer>(cluster, kAttacker);
        if (idle->hello(kAttacker) != protocol::Message(protocol::Resume{0})) return;
      } catch (const net::NetError&) {
        // Refused at its introduction: its address introduces the honest agencies too, and
        // their share of it may be full for a moment. It tries again.
        continue;
      }
      ++introductions;
      // The server ends the conversation before: the attacker's next is opened then.
      if (previous && !previous->closed_by_server()) return;
      previous = std::move(idle);
    }
  });
  // The honest agencies bet, finish and wait for the draw, which waits for the attacker's
  // agency: its Finished comes once they all wait.
  std::vector<AgencyData> data;
  for (std::uint32_t agency = 1; agency <= kHonest; ++agency) {
    data.push_back(start_agency(cluster, agency, kBets, kWinners));
  }
  const bool all_waiting = server.wait_for_lines("action: wait_for_draw", kHonest, kRunTimeout);
  stop = true;
  attacker.join();
  ASSERT_TRUE(all_waiting) << server.output();
  EXPECT_GE(introductions, 2U);
  EXPECT_EQ(server.lines_containing("action: replace_conversation | result: success | agency: 6").size(),
            introductions - 1)
      << server.output();
  RawPeer finisher(cluster, kAttacker);
  ASSERT_EQ(finisher.hello(kAttacker), protocol::Message(protocol::Resume{0}));
  finisher.send(protocol::Finished{});
  ASSERT_EQ(finisher.receive(), protocol::Message(protocol::Ack{protocol::AckCode::kOk, 0}));
  expect_round_complete(cluster, data);
  std::cerr << "figure: an idle member opened " << introductions << " conversations while " << kHonest
            << " agencies played; each ended the one before\n";
}

// Sets the soft limit of descriptors of process `pid` to `soft` until destroyed.
class DescriptorLimit {
 public:
  DescriptorLimit(int pid, rlim_t soft) : pid_(pid) {
    if (::prlimit(pid_, RLIMIT_NOFILE, nullptr, &saved_) != 0) throw std::runtime_error("prlimit: read");
    const rlimit lowered{soft, saved_.rlim_max};
    if (::prlimit(pid_, RLIMIT_NOFILE, &lowered, nullptr) != 0) throw std::runtime_error("prlimit: lower");
  }
  ~DescriptorLimit() { lift(); }
  DescriptorLimit(const DescriptorLimit&) = delete;
  DescriptorLimit& operator=(const DescriptorLimit&) = delete;
  void lift() { ::prlimit(pid_, RLIMIT_NOFILE, &saved_, nullptr); }

 private:
  int pid_;
  rlimit saved_{};
};

class ResourceShortage : public ::testing::TestWithParam<const char*> {};

// accept() out of descriptors (EMFILE) is a pause, not the end: the server logs it, waits
// a little, tries again, and serves the agency once descriptors are back.
TEST_P(ResourceShortage, AcceptOutOfDescriptorsIsLoggedAndTheRoundCompletesOnceTheyAreBack) {
  Cluster cluster;
  Process& server = cluster.start_server({{"SERVER_CONCURRENCY", GetParam()}, {"SERVER_AGENCIES", "1"}});
  // No new descriptor: the limit is the lowest number free. (Not lower: poll(2) refuses
  // to watch more descriptors than the limit.)
  rlim_t lowest_free = 0;
  const std::string listing = "/proc/" + std::to_string(server.pid()) + "/fd/";
  while (std::filesystem::exists(listing + std::to_string(lowest_free))) ++lowest_free;
  DescriptorLimit limit(server.pid(), lowest_free);

  const AgencyData data = start_agency(cluster, 1, kBets, kWinners);
  ASSERT_TRUE(server.wait_for_lines("Too many open files", 2, kStartTimeout)) << server.output();
  limit.lift();
  expect_round_complete(cluster, {data});
  EXPECT_TRUE(server.running());
  const auto failures = server.lines_containing("action: accept_connections | result: fail");
  ASSERT_FALSE(failures.empty());
  std::cerr << "figure: " << failures.size() << " accept failures logged while out of descriptors\n";
}

INSTANTIATE_TEST_SUITE_P(Concurrency, ResourceShortage, ::testing::Values("sequential", "process"));

// Process `pid` alone in a cgroup of its own whose pids limit lets it fork nothing, as a
// container's pids limit would, until lifted; put back where it was when destroyed.
class PidsLimit {
 public:
  explicit PidsLimit(int pid) : group_(std::string(kPidsRoot) + "/tp0-test-" + std::to_string(pid)) {
    std::error_code failed;
    if (!std::filesystem::create_directory(group_, failed)) return;
    write_file(group_ + "/pids.max", "1");
    write_file(group_ + "/cgroup.procs", std::to_string(pid));
    made_ = true;
  }
  ~PidsLimit() {
    if (!made_) return;
    lift();
    // Every process forked in it goes back to the root group, and the group goes.
    for (const std::string& member : split_lines(read_file(group_ + "/cgroup.procs"))) {
      write_file(std::string(kPidsRoot) + "/cgroup.procs", member);
    }
    std::error_code ignored;
    std::filesystem::remove(group_, ignored);
  }
  PidsLimit(const PidsLimit&) = delete;
  PidsLimit& operator=(const PidsLimit&) = delete;

  explicit operator bool() const { return made_; }
  void lift() { write_file(group_ + "/pids.max", "max"); }

 private:
  static constexpr const char* kPidsRoot = "/sys/fs/cgroup/pids";
  std::string group_;
  bool made_ = false;
};

// fork() failing (EAGAIN, a pids limit reached) refuses that connection and pauses
// accepting; the client asks again, and is served once processes are back.
TEST(ResourceShortageProcess, ForkFailingIsLoggedAndTheRoundCompletesOnceProcessesAreBack) {
  Cluster cluster;
  Process& server = cluster.start_server({{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "1"}});
  PidsLimit limit(server.pid());
  if (!limit) GTEST_SKIP() << "no cgroup v1 pids controller to write to: fork failure not exercised";
  const AgencyData data = start_agency(cluster, 1, kBets, kWinners);
  ASSERT_TRUE(server.wait_for_lines("action: fork_child | result: fail", 2, kStartTimeout))
      << server.output();
  limit.lift();
  expect_round_complete(cluster, {data});
  EXPECT_TRUE(server.running());
  std::cerr << "figure: " << server.lines_containing("action: fork_child | result: fail").size()
            << " fork failures logged, "
            << server.lines_containing("action: accept_connections | result: fail").size()
            << " refusal lines\n";
}

}  // namespace
}  // namespace tp0::testing
