#include "bench/load_generator.h"

#include <sys/epoll.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <iterator>
#include <mutex>
#include <optional>
#include <queue>
#include <stop_token>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "bench/agency_tls.h"
#include "common/csv/reader.h"
#include "common/lottery/bet.h"
#include "common/lottery/bet_parsing.h"
#include "common/net/connection.h"
#include "common/net/errors.h"
#include "common/net/tcp.h"
#include "common/protocol/channel.h"
#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"

namespace tp0::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One wait for an answer the server owes at once: a healthy server takes milliseconds,
// so this only bounds a broken one.
constexpr std::chrono::seconds kAnswerTimeout{10};
// A busy server frees a slot as soon as one of its children exits.
constexpr milliseconds kFirstBusyPause{1};
constexpr milliseconds kLongestBusyPause{100};
// The pauses of bin/client between NotReady and asking again.
constexpr milliseconds kFirstNotReadyPause{5};
constexpr milliseconds kLongestNotReadyPause{500};
// How often the collector looks at the deadline and at the workers' failures.
constexpr int kCollectorPeriodMs = 50;

std::string agency_name(std::uint32_t agency) { return "agency " + std::to_string(agency); }

std::string describe(const protocol::Message& message) {
  if (const auto* ack = std::get_if<protocol::Ack>(&message)) {
    return "Ack code " + std::to_string(static_cast<int>(ack->code));
  }
  return protocol::name_of(message);
}

std::int64_t unix_us_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::microseconds cpu_so_far() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto microseconds = [](const timeval& time) {
    return std::chrono::seconds(time.tv_sec) + std::chrono::microseconds(time.tv_usec);
  };
  return microseconds(usage.ru_utime) + microseconds(usage.ru_stime);
}

// The rows of an agency file as bets of `agency`; the server validates them.
std::vector<lottery::Bet> read_bets(const std::string& path, std::uint32_t agency) {
  csv::CsvReader reader = csv::CsvReader::open(path);
  std::vector<lottery::Bet> bets;
  for (std::vector<std::string> fields; reader.next(fields);) {
    const auto number = fields.size() == 5 ? lottery::parse_number(fields[4]) : std::nullopt;
    if (!number) throw LoadError(path + ": row " + std::to_string(bets.size() + 1) + " is not a bet");
    bets.push_back({agency, fields[0], fields[1], fields[2], fields[3], *number});
  }
  return bets;
}

std::vector<std::string> winning_documents(const std::vector<lottery::Bet>& bets) {
  std::vector<std::string> documents;
  for (const auto& bet : bets) {
    if (lottery::has_won(bet)) documents.push_back(bet.document);
  }
  std::sort(documents.begin(), documents.end());
  return documents;
}

class LoadGenerator {
 public:
  explicit LoadGenerator(const LoadSettings& settings);
  LoadResult run();

 private:
  // A conversation a worker runs: an agency's first one (its bets, Finished and the
  // query), or, once the server closed its waiting connection or answered NotReady,
  // Hello and the query again.
  struct Job {
    Clock::time_point due;
    std::uint32_t agency = 0;
    bool ask_again = false;
    bool operator>(const Job& other) const {
      return std::tie(due, agency) > std::tie(other.due, other.agency);
    }
  };
  struct Agency {
    std::optional<net::Connection> waiting;     // bare, until the server closes it at the draw
    std::vector<std::string> expected_winners;  // sorted
    milliseconds not_ready_pause = kFirstNotReadyPause;
  };

  // Reads every agency's certificate and key, on as many threads as there are cores.
  void load_identities();
  void work(const std::stop_token& stop);
  std::optional<Job> next_job(const std::stop_token& stop);
  void converse(const Job& job, const std::stop_token& stop);
  // Connects and says Hello until the server does not answer busy; nullopt once stopped.
  std::optional<protocol::Channel> open_session(std::uint32_t agency, const std::stop_token& stop);
  // The TLS handshake, when the round has TLS. False when the server closed the
  // connection during it: a TLS server at its child limit refuses so.
  bool secure(net::Connection& connection, std::uint32_t agency);
  // The next Ack; throws unless its code is 0.
  void expect_ack(protocol::Channel& channel, std::uint32_t agency, const char* request);
  // Leaves the bare connection to the collector until the server closes it.
  void await_close(std::uint32_t agency, net::Connection connection);
  // The collector's: the server closed the waiting connection of `agency`.
  void on_closed(std::uint32_t agency);
  void ask_again(std::uint32_t agency, milliseconds pause);
  // Reads the rest of the Winners answer that `reply` begins and checks it.
  void check_winners(std::uint32_t agency, protocol::Channel& channel, protocol::Message reply);
  std::string unfinished();

  const LoadSettings& settings_;
  std::optional<AgencyTls> tls_;
  sys::UniqueFd epoll_;  // the connections waiting for the draw
  std::once_flag first_connect_once_;
  Clock::time_point first_connect_;
  std::int64_t first_connect_unix_us_ = 0;
  std::mutex mutex_;  // guards what follows up to the counters
  std::condition_variable_any jobs_changed_;
  std::vector<Agency> agencies_;  // agency K at K - 1
  std::uint32_t next_first_ = 1;  // the next agency to begin
  std::priority_queue<Job, std::vector<Job>, std::greater<>> again_;
  std::uint64_t again_pushed_ = 0;
  std::exception_ptr failure_;  // the first worker's
  Clock::time_point last_finished_;
  Clock::time_point last_answer_;
  std::int64_t last_answer_unix_us_ = 0;
  std::size_t winners_ = 0;
  std::atomic<std::size_t> answered_{0};
  std::atomic<std::size_t> bets_{0};
  std::atomic<std::size_t> batches_{0};
  std::atomic<std::int64_t> round_trip_us_{0};
  std::atomic<std::size_t> busy_answers_{0};
  std::atomic<std::size_t> wait_answers_{0};
  std::atomic<std::size_t> not_ready_answers_{0};
  std::vector<std::jthread> workers_;  // last: stopped and joined before the rest goes
};

LoadGenerator::LoadGenerator(const LoadSettings& settings)
    : settings_(settings), epoll_(::epoll_create1(EPOLL_CLOEXEC)), agencies_(settings.agencies) {
  if (!epoll_) throw sys::last_error("epoll_create1");
  if (!settings.tls_dir.empty()) tls_.emplace(settings.tls_dir, settings.agencies);
}

void LoadGenerator::load_identities() {
  std::atomic<std::uint32_t> next{1};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  {
    std::vector<std::jthread> loaders;
    for (unsigned i = 0; i < std::max(1U, std::thread::hardware_concurrency()); ++i) {
      loaders.emplace_back([&] {
        try {
          for (std::uint32_t agency = next++; agency <= settings_.agencies; agency = next++)
            tls_->load(agency);
        } catch (...) {
          const std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
    }
  }
  if (failure) std::rethrow_exception(failure);
}

LoadResult LoadGenerator::run() {
  if (tls_) load_identities();
  const std::chrono::microseconds setup_cpu = cpu_so_far();
  for (std::size_t i = 0; i < settings_.workers; ++i) {
    workers_.emplace_back([this](const std::stop_token& stop) { work(stop); });
  }
  const auto deadline = Clock::now() + settings_.timeout;
  std::array<epoll_event, 64> ready{};
  while (answered_ < settings_.agencies) {
    {
      const std::lock_guard lock(mutex_);
      if (failure_) std::rethrow_exception(failure_);
    }
    if (Clock::now() > deadline) throw LoadError(unfinished());
    const int count =
        ::epoll_wait(epoll_.get(), ready.data(), static_cast<int>(ready.size()), kCollectorPeriodMs);
    if (count == -1 && errno != EINTR) throw sys::last_error("epoll_wait");
    for (int i = 0; i < count; ++i) on_closed(ready[static_cast<std::size_t>(i)].data.u32);
  }
  LoadResult result;
  {
    const std::lock_guard lock(mutex_);
    result.wall = std::chrono::duration_cast<std::chrono::microseconds>(last_answer_ - first_connect_);
    result.betting = std::chrono::duration_cast<std::chrono::microseconds>(last_finished_ - first_connect_);
    result.first_connect_unix_us = first_connect_unix_us_;
    result.last_winners_unix_us = last_answer_unix_us_;
    result.winners = winners_;
  }
  result.bets = bets_;
  result.batches = batches_;
  if (batches_ > 0) {
    result.mean_round_trip =
        std::chrono::microseconds(round_trip_us_ / static_cast<std::int64_t>(batches_.load()));
  }
  result.busy_answers = busy_answers_;
  result.wait_answers = wait_answers_;
  result.not_ready_answers = not_ready_answers_;
  if (tls_) {
    result.full_handshakes = tls_->full_handshakes();
    result.resumed_handshakes = tls_->resumed_handshakes();
  }
  result.setup_cpu = setup_cpu;
  return result;
}

void LoadGenerator::work(const std::stop_token& stop) {
  try {
    while (const auto job = next_job(stop)) converse(*job, stop);
  } catch (...) {
    const std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::current_exception();
  }
}

std::optional<LoadGenerator::Job> LoadGenerator::next_job(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (next_first_ <= settings_.agencies) return Job{Clock::now(), next_first_++, false};
    if (!again_.empty() && again_.top().due <= Clock::now()) {
      const Job job = again_.top();
      again_.pop();
      return job;
    }
    // Woken by a new job too: it may be due before the one waited for.
    const std::uint64_t seen = again_pushed_;
    const auto pushed = [&] { return again_pushed_ != seen; };
    if (again_.empty()) {
      jobs_changed_.wait(lock, stop, pushed);
    } else {
      jobs_changed_.wait_until(lock, stop, again_.top().due, pushed);
    }
  }
  return std::nullopt;
}

void LoadGenerator::converse(const Job& job, const std::stop_token& stop) {
  std::vector<lottery::Bet> bets;
  if (!job.ask_again) {
    bets = read_bets(settings_.data_dir + "/agency-" + std::to_string(job.agency) + ".csv", job.agency);
  }
  auto channel = open_session(job.agency, stop);
  if (!channel) return;
  if (!job.ask_again) {
    // One Batch: 100 generated bets take at most 6.5 kB of the 8 kB a frame may hold.
    const auto sent = Clock::now();
    channel->send(protocol::Batch{job.agency, 0, bets});
    expect_ack(*channel, job.agency, "its Batch");
    round_trip_us_ += std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count();
    ++batches_;
    bets_ += bets.size();
    channel->send(protocol::Finished{});
    expect_ack(*channel, job.agency, "Finished");
    const std::lock_guard lock(mutex_);
    last_finished_ = std::max(last_finished_, Clock::now());
    agencies_[job.agency - 1].expected_winners = winning_documents(bets);
  }
  channel->send(protocol::WinnersQuery{job.agency});
  protocol::Message reply = channel->receive_expected("the answer to WinnersQuery");
  if (std::holds_alternative<protocol::WaitForDraw>(reply)) {
    ++wait_answers_;
    // As bin/client: the session ends both ways, and the bare socket waits for the
    // server's close. The channel's buffers stay behind: ten thousand of them would
    // take 230 MB, and nothing more is sent on this connection.
    channel->connection().return_to_plain();
    await_close(job.agency, std::move(channel->connection()));
    return;
  }
  if (std::holds_alternative<protocol::NotReady>(reply)) {
    // A sequential server serves no one else while this connection stays open.
    channel->connection().close();
    ++not_ready_answers_;
    milliseconds pause;
    {
      const std::lock_guard lock(mutex_);
      Agency& state = agencies_[job.agency - 1];
      pause = state.not_ready_pause;
      state.not_ready_pause = std::min(state.not_ready_pause * 2, kLongestNotReadyPause);
    }
    ask_again(job.agency, pause);
    return;
  }
  check_winners(job.agency, *channel, std::move(reply));
}

std::optional<protocol::Channel> LoadGenerator::open_session(std::uint32_t agency,
                                                             const std::stop_token& stop) {
  auto pause = kFirstBusyPause;
  while (!stop.stop_requested()) {
    std::call_once(first_connect_once_, [this] {
      first_connect_ = Clock::now();
      first_connect_unix_us_ = unix_us_now();
    });
    net::Connection connection = net::connect_to(settings_.host, settings_.port);
    connection.set_idle_timeout(kAnswerTimeout);
    if (secure(connection, agency)) {
      protocol::Channel channel(std::move(connection));
      channel.send(protocol::Hello{agency});
      const protocol::Message reply = channel.receive_expected("the answer to Hello");
      if (std::holds_alternative<protocol::Resume>(reply)) return channel;
      const auto* ack = std::get_if<protocol::Ack>(&reply);
      if (ack == nullptr || ack->code != protocol::AckCode::kServerBusy) {
        throw LoadError(agency_name(agency) + ": Hello was answered " + describe(reply));
      }
    }
    // The server read nothing from this connection: try again on a new one.
    ++busy_answers_;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, kLongestBusyPause);
  }
  return std::nullopt;
}

bool LoadGenerator::secure(net::Connection& connection, std::uint32_t agency) {
  if (!tls_) return true;
  try {
    tls_->connect(connection, agency, settings_.host);
    return true;
  } catch (const net::NetError&) {
    return false;
  }
}

void LoadGenerator::expect_ack(protocol::Channel& channel, std::uint32_t agency, const char* request) {
  const protocol::Message reply = channel.receive_expected("an Ack");
  const auto* ack = std::get_if<protocol::Ack>(&reply);
  if (ack == nullptr || ack->code != protocol::AckCode::kOk) {
    throw LoadError(agency_name(agency) + ": " + request + " was answered " + describe(reply));
  }
}

void LoadGenerator::await_close(std::uint32_t agency, net::Connection connection) {
  const int fd = connection.fd();
  {
    const std::lock_guard lock(mutex_);
    agencies_[agency - 1].waiting.emplace(std::move(connection));
  }
  // Level-triggered: a close already there is reported at once. The registration goes
  // with the descriptor when on_closed() closes it.
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u32 = agency;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) == -1) throw sys::last_error("epoll_ctl");
}

void LoadGenerator::on_closed(std::uint32_t agency) {
  std::optional<net::Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    std::swap(connection, agencies_[agency - 1].waiting);
  }
  std::byte unexpected{};
  if (const std::size_t got = connection.value().read_some({&unexpected, 1}); got != 0) {
    throw LoadError(agency_name(agency) + ": the server sent data on a connection waiting for the draw");
  }
  connection->close();
  // The server closes a waiting connection when the draw is held: ask at once.
  ask_again(agency, milliseconds{0});
}

void LoadGenerator::ask_again(std::uint32_t agency, milliseconds pause) {
  const std::lock_guard lock(mutex_);
  again_.push({Clock::now() + pause, agency, true});
  ++again_pushed_;
  jobs_changed_.notify_one();
}

void LoadGenerator::check_winners(std::uint32_t agency, protocol::Channel& channel, protocol::Message reply) {
  std::vector<std::string> documents;
  while (true) {
    auto* part = std::get_if<protocol::Winners>(&reply);
    if (part == nullptr) {
      throw LoadError(agency_name(agency) + ": its WinnersQuery was answered " + describe(reply));
    }
    std::move(part->documents.begin(), part->documents.end(), std::back_inserter(documents));
    if (part->last) break;
    reply = channel.receive_expected("more Winners");
  }
  channel.connection().close();
  if (tls_) tls_->release(agency);
  std::sort(documents.begin(), documents.end());
  const std::lock_guard lock(mutex_);
  const Agency& state = agencies_[agency - 1];
  if (documents != state.expected_winners) {
    throw LoadError(agency_name(agency) + ": the server named " + std::to_string(documents.size()) +
                    " winners, its file holds " + std::to_string(state.expected_winners.size()) +
                    (documents.size() == state.expected_winners.size() ? " others" : ""));
  }
  winners_ += documents.size();
  last_answer_ = Clock::now();
  last_answer_unix_us_ = unix_us_now();
  ++answered_;
}

std::string LoadGenerator::unfinished() {
  const std::lock_guard lock(mutex_);
  const auto waiting = std::count_if(agencies_.begin(), agencies_.end(),
                                     [](const Agency& agency) { return agency.waiting.has_value(); });
  return "the round did not complete within " + std::to_string(settings_.timeout.count()) + " s: of " +
         std::to_string(settings_.agencies) + " agencies, " + std::to_string(answered_.load()) +
         " have their winners, " + std::to_string(waiting) +
         " wait for the draw, the others are still betting or asking again (" +
         std::to_string(busy_answers_) + " busy answers, " + std::to_string(wait_answers_) +
         " WaitForDraw, " + std::to_string(not_ready_answers_) + " NotReady)";
}

}  // namespace

LoadResult drive_agencies(const LoadSettings& settings) { return LoadGenerator(settings).run(); }

}  // namespace tp0::bench
