// The files of a round hold names and document numbers: each is the server's user's alone,
// whatever the umask, and a link planted at a temporary's name is never written through.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/agency_data.h"
#include "tests/integration/cluster.h"

namespace tp0::testing {
namespace {

// The permission bits of `path` in octal and its kind ("600 file", "700 directory"); no
// link is followed.
std::string mode_of(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == -1) return "missing";
  std::ostringstream mode;
  mode << std::oct << (info.st_mode & 07777)
       << (S_ISDIR(info.st_mode)   ? " directory"
           : S_ISREG(info.st_mode) ? " file"
                                   : " other");
  return mode.str();
}

const std::string kPrivateFile = "600 file";
const std::string kPrivateDirectory = "700 directory";

// Sets the process's umask (which the programs it starts inherit) for its lifetime.
class Umask {
 public:
  explicit Umask(mode_t mask) : previous_(::umask(mask)) {}
  ~Umask() { ::umask(previous_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t previous_;
};

// Under umask 022 (files 0644 unless the server says otherwise), with a link to a file
// outside the round's folder planted where the draw's record is written aside: the round
// completes, the link is removed without a byte written to its target, and the bets file,
// its journal, the draw's record (directory and files), its lock and, in the next round,
// the archived round are all 0600 (the record's directory 0700).
TEST(PrivateFiles, EveryFileOfTheRoundIsTheServersAloneAndNoTemporaryIsFollowed) {
  const Umask umask(022);
  Cluster cluster;
  const std::string bets = cluster.bets_path();
  TempDir outside;
  const std::string target = outside.file("target");
  write_file(target, "not the server's\n");
  std::filesystem::create_symlink(target, bets + ".draw.tmp");

  const Environment settings{{"SERVER_CONCURRENCY", "process"}, {"SERVER_AGENCIES", "2"}};
  cluster.start_server(settings);
  const std::vector<AgencyData> agencies{start_agency(cluster, 1, 30, 2), start_agency(cluster, 2, 30, 3)};
  expect_round_complete(cluster, agencies);

  EXPECT_EQ(read_file(target), "not the server's\n");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(bets + ".draw.tmp")));
  EXPECT_EQ(mode_of(bets), kPrivateFile);
  EXPECT_EQ(mode_of(bets + ".journal"), kPrivateFile);
  EXPECT_EQ(mode_of(bets + ".draw.lock"), kPrivateFile);
  EXPECT_EQ(mode_of(bets + ".draw"), kPrivateDirectory);
  std::size_t record_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(bets + ".draw")) {
    EXPECT_EQ(mode_of(entry.path().string()), kPrivateFile) << entry.path();
    ++record_files;
  }
  EXPECT_EQ(record_files, 2u) << "one file per agency with winners";

  cluster.server().send_signal(SIGTERM);
  ASSERT_EQ(cluster.server().wait_exit(kRunTimeout), 0) << cluster.server().output();
  Environment next_round = settings;
  next_round["SERVER_ROUND"] = "new";
  cluster.restart_server(next_round);
  EXPECT_EQ(mode_of(bets + ".1"), kPrivateFile);
  EXPECT_EQ(mode_of(bets + ".1.journal"), kPrivateFile);
  EXPECT_EQ(mode_of(bets), kPrivateFile);
  EXPECT_EQ(mode_of(bets + ".journal"), kPrivateFile);
}

}  // namespace
}  // namespace tp0::testing
