#include "tests/integration/packet_capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <tuple>

#include "tests/integration/cluster.h"

namespace tp0::testing {
namespace {

constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;

std::uint32_t u32_native(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

std::uint32_t u8(std::string_view bytes, std::size_t at) { return static_cast<std::uint8_t>(bytes[at]); }

std::uint32_t u16_big(std::string_view bytes, std::size_t at) {
  return (u8(bytes, at) << 8) | u8(bytes, at + 1);
}

std::uint32_t u32_big(std::string_view bytes, std::size_t at) {
  return (u16_big(bytes, at) << 16) | u16_big(bytes, at + 2);
}

// One TCP segment over IPv4.
struct Segment {
  std::uint32_t source = 0;
  std::uint32_t source_port = 0;
  std::uint32_t destination = 0;
  std::uint32_t destination_port = 0;
  std::uint32_t sequence = 0;
  std::uint8_t flags = 0;
  std::string_view payload;
};

// Calls `each` for every TCP segment over IPv4 of the whole packets in `pcap` from byte
// `at` (0: from the start), and returns where the last whole packet ends.
std::size_t for_each_segment(std::string_view pcap, std::size_t at,
                             const std::function<void(const Segment&)>& each) {
  constexpr std::size_t kFileHeader = 24;
  constexpr std::size_t kPacketHeader = 16;
  if (pcap.size() < kFileHeader) return at;
  const std::uint32_t magic = u32_native(pcap, 0);
  if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    throw std::runtime_error("pcap: not a capture in this machine's byte order");
  }
  // Bytes before the IP header for the capture's link type, and where the link header
  // says which protocol follows.
  std::size_t link_header = 0;
  std::size_t ethertype_at = 0;
  switch (u32_native(pcap, 20)) {
    case 1:  // Ethernet, as Linux's lo appears
      link_header = 14;
      ethertype_at = 12;
      break;
    case 113:  // Linux cooked capture
      link_header = 16;
      ethertype_at = 14;
      break;
    default:
      throw std::runtime_error("pcap: unexpected link type " + std::to_string(u32_native(pcap, 20)));
  }
  at = std::max(at, kFileHeader);
  while (at + kPacketHeader <= pcap.size()) {
    const std::uint32_t captured = u32_native(pcap, at + 8);
    const std::size_t packet = at + kPacketHeader;
    if (packet + captured > pcap.size()) break;  // still being written
    if (captured != u32_native(pcap, at + 12))
      throw std::runtime_error("pcap: a packet was captured in part");
    at = packet + captured;
    if (u16_big(pcap, packet + ethertype_at) != 0x0800) continue;
    const std::size_t ip = packet + link_header;
    if ((u8(pcap, ip) >> 4) != 4 || u8(pcap, ip + 9) != 6) continue;
    const std::size_t ip_header = (u8(pcap, ip) & 0x0f) * std::size_t{4};
    const std::size_t tcp = ip + ip_header;
    const std::size_t tcp_header = (u8(pcap, tcp + 12) >> 4) * std::size_t{4};
    const std::size_t payload = tcp + tcp_header;
    Segment segment;
    segment.source = u32_big(pcap, ip + 12);
    segment.destination = u32_big(pcap, ip + 16);
    segment.source_port = u16_big(pcap, tcp);
    segment.destination_port = u16_big(pcap, tcp + 2);
    segment.sequence = u32_big(pcap, tcp + 4);
    segment.flags = static_cast<std::uint8_t>(u8(pcap, tcp + 13));
    segment.payload = pcap.substr(payload, u16_big(pcap, ip + 2) - ip_header - tcp_header);
    each(segment);
  }
  return at;
}

struct Flow {
  std::string bytes;
  std::optional<std::uint32_t> next_sequence;
  // Its FIN, right after its last byte, or a reset of the connection: the capture holds
  // its whole stream.
  bool ended = false;
};

}  // namespace

std::string find_tcpdump() {
  for (const char* folder : {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"}) {
    std::string path = std::string(folder) + "/tcpdump";
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & S_IXUSR) != 0) return path;
  }
  return "";
}

PacketCapture::PacketCapture(const TempDir& dir, std::uint16_t port) : file_(dir.file("capture.pcap")) {
  const std::string tcpdump = find_tcpdump();
  if (tcpdump.empty()) {
    throw std::runtime_error("tcpdump is not installed (scripts/install-deps.sh host installs it)");
  }
  marker_ = sys::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (!marker_ || ::bind(marker_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1 ||
      ::listen(marker_.get(), 1) == -1 ||
      ::getsockname(marker_.get(), reinterpret_cast<sockaddr*>(&address), &length) == -1) {
    throw std::runtime_error(std::string("capture marker: ") + std::strerror(errno));
  }
  marker_port_ = ntohs(address.sin_port);
  // Process runs a program without arguments: a script of the test's own gives them.
  // --immediate-mode hands each packet over as it comes (otherwise the kernel keeps them
  // in blocks, and those of a block not yet full at SIGINT are lost, uncounted), -U
  // writes each to the file at once, -B gives the kernel a 32 MiB buffer, -Z root keeps
  // the right to write into the test's folder.
  const std::string script = dir.file("capture.sh");
  write_file(script, "#!/bin/sh\nexec " + tcpdump +
                         " -i lo -n --immediate-mode -U -B 32768 -s 0 -Z root -w " + file_ + " 'tcp port " +
                         std::to_string(port) + " or tcp port " + std::to_string(marker_port_) + "'\n");
  ::chmod(script.c_str(), 0700);
  tcpdump_ = std::make_unique<Process>(script, Environment{}, dir.path(), dir.file("tcpdump.log"));
  if (!tcpdump_->wait_for_line("listening on lo", kStartTimeout)) {
    throw std::runtime_error("tcpdump did not start capturing:\n" + tcpdump_->output());
  }
}

void PacketCapture::wait_for_marker() {
  {
    sys::UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(marker_port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!client ||
        ::connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
      throw std::runtime_error(std::string("capture marker: ") + std::strerror(errno));
    }
    const sys::UniqueFd accepted(::accept4(marker_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  }
  // Packets reach the capture in the order they were sent: the marker's FIN comes last.
  std::size_t read_up_to = 0;
  bool seen = false;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!seen) {
    const std::string pcap = read_file(file_);
    read_up_to = for_each_segment(pcap, read_up_to, [&](const Segment& segment) {
      if ((segment.flags & kFin) != 0 &&
          (segment.source_port == marker_port_ || segment.destination_port == marker_port_)) {
        seen = true;
      }
    });
    if (seen) break;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("tcpdump did not write the marker's packets:\n" + tcpdump_->output());
    }
    // Only how often the file is read again; what is awaited is the packet in it.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void PacketCapture::stop() {
  wait_for_marker();
  tcpdump_->send_signal(SIGINT);
  const auto code = tcpdump_->wait_exit(kRunTimeout);
  if (code != 0) throw std::runtime_error("tcpdump did not end well:\n" + tcpdump_->output());
  const auto dropped = tcpdump_->lines_containing("packets dropped by kernel");
  if (dropped.size() != 1 || dropped[0].rfind("0 packets", 0) != 0) {
    throw std::runtime_error("the capture lost packets:\n" + tcpdump_->output());
  }
}

std::vector<std::string> tcp_streams(const std::string& pcap_path) {
  const std::string pcap = read_file(pcap_path);
  if (pcap.empty()) throw std::runtime_error("pcap: " + pcap_path + " holds no capture");
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>, Flow> flows;
  std::string hole;
  for_each_segment(pcap, 0, [&](const Segment& segment) {
    Flow& flow = flows[{segment.source, segment.source_port, segment.destination, segment.destination_port}];
    if ((segment.flags & kSyn) != 0) {
      flow.next_sequence = segment.sequence + 1;
      return;
    }
    if ((segment.flags & kRst) != 0) {
      // A reset ends the connection both ways: the side that gets it sends no FIN.
      flow.ended = true;
      flows[{segment.destination, segment.destination_port, segment.source, segment.source_port}].ended =
          true;
      return;
    }
    if (!flow.next_sequence) flow.next_sequence = segment.sequence;
    // The distance, wrapping like sequence numbers do: what of this segment was already
    // taken (a retransmission), or a hole before it.
    const auto ahead = static_cast<std::int32_t>(segment.sequence - *flow.next_sequence);
    const bool fin = (segment.flags & kFin) != 0;
    if (ahead > 0 && (!segment.payload.empty() || fin)) hole = std::to_string(ahead) + " bytes";
    const auto known = static_cast<std::size_t>(-static_cast<std::int64_t>(std::min(ahead, 0)));
    if (known < segment.payload.size()) {
      flow.bytes.append(segment.payload.substr(known));
      *flow.next_sequence += static_cast<std::uint32_t>(segment.payload.size() - known);
    }
    if (fin && segment.sequence + segment.payload.size() == *flow.next_sequence) flow.ended = true;
  });
  if (!hole.empty()) throw std::runtime_error("pcap: a stream has a hole of " + hole);
  std::vector<std::string> streams;
  streams.reserve(flows.size());
  for (auto& [key, flow] : flows) {
    if (!flow.ended) throw std::runtime_error("pcap: the end of a stream is missing from the capture");
    streams.push_back(std::move(flow.bytes));
  }
  return streams;
}

}  // namespace tp0::testing
