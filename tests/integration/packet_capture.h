#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/sys/unique_fd.h"
#include "tests/support/process.h"

namespace tp0::testing {

// tcpdump capturing, on the loopback interface, the TCP traffic of one port into a pcap
// file. Capturing needs root (CAP_NET_RAW); the tests run as root. tcpdump is installed by
// scripts/install-deps.sh host.
class PacketCapture {
 public:
  // Starts tcpdump and waits until it is capturing (its "listening on" line). Throws
  // std::runtime_error when tcpdump is missing or does not start.
  PacketCapture(const TempDir& dir, std::uint16_t port);

  // Waits until every packet sent so far is in the file, then stops tcpdump (SIGINT) and
  // waits for its exit. Throws when it fails or the kernel dropped packets.
  void stop();

  const std::string& file() const { return file_; }

 private:
  // A connection to a port of the test's own, also captured: once its end is in the
  // file, so is everything sent before it.
  void wait_for_marker();

  std::string file_;
  sys::UniqueFd marker_;
  std::uint16_t marker_port_ = 0;
  std::unique_ptr<Process> tcpdump_;
};

// Where tcpdump is, or "" when it is not installed.
std::string find_tcpdump();

// The TCP payload of each direction of each connection in a pcap file, in sequence
// order: the bytes as the receiving socket read them, whatever segments carried them.
// Throws std::runtime_error for a file it cannot read, a packet cut short by the capture,
// a hole in a stream, or a stream whose end is missing.
std::vector<std::string> tcp_streams(const std::string& pcap_path);

}  // namespace tp0::testing
