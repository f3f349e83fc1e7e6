#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/logging/event.h"
#include "common/net/connection.h"
#include "common/tls/context.h"

namespace tp0::server {

// What a connection proved of itself before its first message: which agency it may speak
// for. The session asks it and never learns how it was proved.
class Proof {
 public:
  virtual ~Proof() = default;
  // Why a Hello for `agency` is refused on this connection; nullopt when it may speak for it.
  virtual std::optional<std::string> refuses(std::uint32_t agency) const = 0;
  // Adds what was proved to a line about the connection.
  virtual void describe(logging::Event& event) const = 0;
};

// Plain text: nothing was proved, and any agency may be claimed (SERVER_TLS=off).
class AnyAgency final : public Proof {
 public:
  std::optional<std::string> refuses(std::uint32_t /*agency*/) const override { return std::nullopt; }
  void describe(logging::Event& /*event*/) const override {}
};

// A client certificate that names its agency: the only one the connection may speak for.
class CertifiedAgency final : public Proof {
 public:
  explicit CertifiedAgency(std::uint32_t agency) : agency_(agency) {}
  std::optional<std::string> refuses(std::uint32_t agency) const override {
    if (agency == agency_) return std::nullopt;
    return "the client certificate names another agency";
  }
  void describe(logging::Event& event) const override { event.with("certificate_agency", agency_); }

 private:
  std::uint32_t agency_;
};

// How a lottery connection introduces itself before its Hello, chosen once at start
// (SERVER_TLS): as it is, or with a TLS handshake whose client certificate names the
// agency. Whatever differs between the two is here, and nowhere else in the server.
class Introduction {
 public:
  virtual ~Introduction() = default;

  // Makes `connection` ready for frames, within the deadline the caller set, and returns
  // what it proved. Throws TlsError for a peer refused, NetError, IdleTimeout past the
  // deadline, ShutdownRequested.
  virtual std::unique_ptr<Proof> introduce(net::Connection& connection) const = 0;

  // Turns away a connection the server has no room for, in the parent. Never blocks.
  // Throws NetError.
  virtual void refuse(net::Connection& connection) const = 0;

  // Whether the connection's first message (the Hello frame, the TLS ClientHello's
  // record) has arrived whole, without reading it. Never blocks.
  virtual bool first_message_arrived(const net::Connection& connection) const = 0;

  // When a shutdown cuts a conversation short: tells the client the conversation ended
  // rather than letting it find the connection cut.
  virtual void end_for_shutdown(net::Connection& connection) const = 0;
};

// Plain text: the connection is ready as it is. Logs at start that bets and winners cross
// the network in clear.
class PlainHello final : public Introduction {
 public:
  PlainHello();
  std::unique_ptr<Proof> introduce(net::Connection& /*connection*/) const override {
    return std::make_unique<AnyAgency>();
  }
  // A busy Ack: a few bytes into a new socket's empty send buffer, which cannot block.
  void refuse(net::Connection& connection) const override;
  bool first_message_arrived(const net::Connection& connection) const override;
  void end_for_shutdown(net::Connection& /*connection*/) const override {}
};

// Mutual TLS: the handshake, then the agency the client's certificate names.
class TlsHandshake final : public Introduction {
 public:
  // Throws TlsError when the TLS files cannot be used.
  explicit TlsHandshake(const tls::Credentials& credentials)
      : context_(tls::Context::Side::kServer, credentials) {}
  std::unique_ptr<Proof> introduce(net::Connection& connection) const override;
  // Nothing: a client cannot read a plain Ack before its handshake, and one in the parent
  // would hold the accept loop; it sees the connection closed and connects again.
  void refuse(net::Connection& /*connection*/) const override {}
  bool first_message_arrived(const net::Connection& connection) const override;
  // Ends the TLS session with close_notify and logs it.
  void end_for_shutdown(net::Connection& connection) const override;

 private:
  // Made before any fork: every child shares the keys of the session tickets, so a client
  // resumes its session whichever child serves it next.
  tls::Context context_;
};

}  // namespace tp0::server
