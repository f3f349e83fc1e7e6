// What an eavesdropper on the wire learns of a round: the whole course's data set played
// with TLS, captured by tcpdump on the loopback interface, must show no document and no
// name of it. The same round without TLS is the control: there the same search must find
// every one, or the search itself proves nothing.
//
// tcpdump needs root (CAP_NET_RAW) to capture; these tests run as root, as the project's
// test suite does. Without tcpdump they fail, saying so; without the data set (never
// committed: see find_dataset) they skip.
//
// Each capture is also the test of the course's data set itself, in each concurrency
// setting: every bet stored once, in order, every agency its own winners, one draw, and
// no failure logged on either side.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "common/csv/reader.h"
#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"
#include "tests/integration/needle_search.h"
#include "tests/integration/packet_capture.h"
#include "tests/tls/test_pki.h"

namespace tp0::testing {
namespace {

constexpr std::uint32_t kAgencies = 5;
constexpr std::size_t kCourseBets = 78'697;

// A string as the wire carries it: its length in one byte, then its bytes.
std::string short_string(const std::string& text) { return static_cast<char>(text.size()) + text; }

// What to look for, from the data set's files: every document, and every bet's first
// and last name as the wire carries them, one right after the other; a name alone only
// when it takes at least NeedleSearch::kWindow bytes there, since a short one ("Ana",
// 4 bytes with its length) turns up by chance in megabytes of ciphertext.
struct Secrets {
  std::vector<std::string> documents;
  std::vector<std::string> names;
};

Secrets secrets_of_dataset(const std::string& dir) {
  std::set<std::string> documents;
  std::set<std::string> names;
  for (std::uint32_t id = 1; id <= kAgencies; ++id) {
    csv::CsvReader reader = csv::CsvReader::open(dir + "/agency-" + std::to_string(id) + ".csv");
    for (std::vector<std::string> fields; reader.next(fields);) {
      if (fields.size() != 5) throw std::runtime_error("a row of the data set without 5 fields");
      documents.insert(fields[2].size() >= NeedleSearch::kWindow ? fields[2] : short_string(fields[2]));
      names.insert(short_string(fields[0]) + short_string(fields[1]));
      for (const std::string* name : {&fields[0], &fields[1]}) {
        if (name->size() + 1 >= NeedleSearch::kWindow) names.insert(short_string(*name));
      }
    }
  }
  return Secrets{{documents.begin(), documents.end()}, {names.begin(), names.end()}};
}

// The needles of `search` that `found` marks, the first few of them, for a message.
std::string some_found(const NeedleSearch& search, const std::vector<bool>& found, std::size_t& count) {
  std::string listed;
  count = 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (!found[i]) continue;
    if (++count <= 5) listed += " \"" + search.needles()[i] + "\"";
  }
  return listed;
}

class TrafficCapture : public ::testing::TestWithParam<const char*> {
 protected:
  // Plays the data set's round, TLS on or off, under tcpdump; returns the TCP streams.
  std::vector<std::string> captured_round(bool tls) {
    const std::string zip = find_dataset();
    unzip_into(zip, cluster_.dir().path());
    const TestPki pki(cluster_.dir().file("pki"), {1, 2, 3, 4, 5});

    Environment server_environment{{"SERVER_CONCURRENCY", GetParam()},
                                   {"SERVER_AGENCIES", std::to_string(kAgencies)},
                                   {"LOGGING_LEVEL", "INFO"}};
    if (tls) {
      server_environment.merge(server_tls_environment(pki.server()));
    } else {
      server_environment.emplace("SERVER_TLS", "off");
    }
    Process& server = cluster_.start_server(server_environment);
    PacketCapture capture(cluster_.dir(), cluster_.port());

    std::vector<AgencyData> agencies;
    for (std::uint32_t id = 1; id <= kAgencies; ++id) {
      agencies.push_back(count_agency_file(cluster_.dir().file("agency-" + std::to_string(id) + ".csv")));
      Environment environment{{"CLI_DATA_FILE", agencies.back().path}, {"CLI_LOG_LEVEL", "INFO"}};
      if (tls) {
        environment.merge(client_tls_environment(pki.agency(id)));
      } else {
        environment.emplace("CLI_TLS", "off");
      }
      cluster_.start_client(id, environment);
    }
    expect_round_complete(cluster_, agencies);
    std::size_t bets = 0;
    for (const AgencyData& agency : agencies) bets += agency.bets;
    EXPECT_EQ(bets, kCourseBets);
    EXPECT_EQ(server.lines_containing("action: sorteo | result: success").size(), 1u) << server.output();
    EXPECT_TRUE(server.lines_containing("result: fail").empty()) << server.output();
    capture.stop();
    std::vector<std::string> streams = tcp_streams(capture.file());
    std::size_t bytes = 0;
    for (const auto& stream : streams) bytes += stream.size();
    // The bets' own bytes crossed: the capture saw the round, not some other traffic.
    EXPECT_GT(bytes, kCourseBets * 40) << "the capture holds only " << bytes << " bytes of TCP payload";
    return streams;
  }

  Cluster cluster_;
};

TEST_P(TrafficCapture, WithTlsNoDocumentOrNameOfTheDataSetCrossesTheWireInClear) {
  if (find_dataset().empty())
    GTEST_SKIP() << "the course's dataset.zip was not found; set TP0_DATASET to run this test";
  ASSERT_FALSE(find_tcpdump().empty())
      << "tcpdump is not installed (scripts/install-deps.sh host installs it)";
  const std::vector<std::string> streams = captured_round(true);
  const Secrets secrets = secrets_of_dataset(cluster_.dir().path());
  std::size_t count = 0;
  const NeedleSearch documents(secrets.documents);
  const std::string found_documents = some_found(documents, documents.found_in(streams), count);
  EXPECT_EQ(count, 0u) << "documents in clear on the wire:" << found_documents;
  const NeedleSearch names(secrets.names);
  const std::string found_names = some_found(names, names.found_in(streams), count);
  EXPECT_EQ(count, 0u) << "names in clear on the wire:" << found_names;
}

TEST_P(TrafficCapture, WithoutTlsTheSameSearchFindsEveryDocumentAndName) {
  if (find_dataset().empty())
    GTEST_SKIP() << "the course's dataset.zip was not found; set TP0_DATASET to run this test";
  ASSERT_FALSE(find_tcpdump().empty())
      << "tcpdump is not installed (scripts/install-deps.sh host installs it)";
  const std::vector<std::string> streams = captured_round(false);
  const Secrets secrets = secrets_of_dataset(cluster_.dir().path());
  std::size_t count = 0;
  const NeedleSearch documents(secrets.documents);
  some_found(documents, documents.found_in(streams), count);
  EXPECT_EQ(count, secrets.documents.size()) << "the search misses documents that crossed in clear";
  const NeedleSearch names(secrets.names);
  some_found(names, names.found_in(streams), count);
  EXPECT_EQ(count, secrets.names.size()) << "the search misses names that crossed in clear";
}

INSTANTIATE_TEST_SUITE_P(Concurrency, TrafficCapture, ::testing::Values("sequential", "process"));

}  // namespace
}  // namespace tp0::testing
