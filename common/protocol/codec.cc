#include "common/protocol/codec.h"

#include <concepts>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "common/coding/coding.h"
#include "common/protocol/errors.h"

namespace tp0::protocol {
namespace {

constexpr std::size_t kBirthdateBytes = 10;
// The fewest bytes a bet can take (all strings empty): bounds a count before allocating.
constexpr std::size_t kMinBetBytes = 3 + kBirthdateBytes + 2;
// Bytes of a Winners frame before its first document: header, type, last flag, count.
constexpr std::size_t kWinnersOverheadBytes = kFrameHeaderBytes + 1 + 1 + 2;

// The fields of a bet, in wire order, for fields() below. Its agency is the message's.
void bet_fields(auto& io, auto& bet) {
  io("first_name", bet.first_name);
  io("last_name", bet.last_name);
  io("document", bet.document);
  io.fixed("birthdate", kBirthdateBytes, bet.birthdate);
  io("number", bet.number);
}

// The one description of each message's body after its type byte, in wire order, for
// both directions: `io` is a Put, which writes the fields of a const message, or a Get,
// which reads them into one. Integers are big-endian at the width of their type,
// strings take one byte of length, lists two bytes of count.
template <typename Io, typename M>
void fields(Io& io, M& m) {
  using T = std::remove_const_t<M>;
  if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, WinnersQuery>) {
    io("agency", m.agency);
  } else if constexpr (std::is_same_v<T, SingleBet>) {
    io("agency", m.bet.agency);
    io("position", m.position);
    bet_fields(io, m.bet);
  } else if constexpr (std::is_same_v<T, Batch>) {
    io("agency", m.agency);
    io("first_position", m.first_position);
    io.list("bet count", m.bets, kMinBetBytes, [&](auto& bet) {
      bet_fields(io, bet);
      if constexpr (!std::is_const_v<M>) bet.agency = m.agency;
    });
  } else if constexpr (std::is_same_v<T, Ack>) {
    io("code", m.code);
    io("bet_index", m.bet_index);
  } else if constexpr (std::is_same_v<T, Winners>) {
    io("last", m.last);
    io.list("document count", m.documents, 1, [&](auto& document) { io("document", document); });
  } else if constexpr (std::is_same_v<T, Resume>) {
    io("stored", m.stored);
  } else {
    static_assert(std::is_empty_v<T>, "every message type with fields needs them described");
  }
}

// The first byte of a message's body: its index in Message plus one.
template <typename T, std::size_t Index = 0>
constexpr std::uint8_t type_of() {
  if constexpr (std::is_same_v<std::variant_alternative_t<Index, Message>, T>)
    return Index + 1;
  else
    return type_of<T, Index + 1>();
}

// Appends the fields fields() describes to a frame being built.
class Put {
 public:
  explicit Put(std::vector<std::byte>& out) : out_(out) {}

  template <std::unsigned_integral Unsigned>
  void operator()(const char* /*field*/, Unsigned value) {
    out_.resize(out_.size() + sizeof value);
    coding::put_big_endian<Unsigned>(out_.data() + out_.size() - sizeof value, value);
  }
  void operator()(const char* field, bool flag) { (*this)(field, std::uint8_t{flag}); }
  void operator()(const char* field, AckCode code) { (*this)(field, static_cast<std::uint8_t>(code)); }
  void operator()(const char* field, const std::string& text) {
    if (text.size() > 255) {
      throw std::invalid_argument(std::string(field) + " of " + std::to_string(text.size()) +
                                  " bytes does not fit a one-byte length");
    }
    (*this)(field, static_cast<std::uint8_t>(text.size()));
    append(text);
  }
  void fixed(const char* field, std::size_t size, const std::string& text) {
    if (text.size() != size) {
      throw std::invalid_argument(std::string(field) + " of " + std::to_string(text.size()) + " bytes, not " +
                                  std::to_string(size));
    }
    append(text);
  }
  template <typename Item, typename Each>
  void list(const char* field, const std::vector<Item>& items, std::size_t /*min_bytes*/, const Each& each) {
    if (items.size() > UINT16_MAX) throw std::length_error(std::string(field) + " over 65535");
    (*this)(field, static_cast<std::uint16_t>(items.size()));
    for (const Item& item : items) each(item);
  }

 private:
  void append(const std::string& text) {
    const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
    out_.insert(out_.end(), bytes, bytes + text.size());
  }

  std::vector<std::byte>& out_;
};

// Reads the fields fields() describes from a received body. Reading past the end throws
// ProtocolError naming the field, so a truncated message can never be half-decoded.
class Get {
 public:
  explicit Get(std::span<const std::byte> in) : in_(in) {}

  template <std::unsigned_integral Unsigned>
  void operator()(const char* field, Unsigned& value) {
    value = coding::get_big_endian<Unsigned>(take(field, sizeof value).data());
  }
  void operator()(const char* field, bool& flag) {
    const std::uint8_t value = byte(field);
    if (value > 1) {
      throw ProtocolError("Winners flag '" + std::string(field) + "' is " + std::to_string(value));
    }
    flag = value == 1;
  }
  void operator()(const char* field, AckCode& code) {
    const std::uint8_t value = byte(field);
    if (value > static_cast<std::uint8_t>(AckCode::kTooManyBets)) {
      throw ProtocolError("unknown acknowledgement code " + std::to_string(value));
    }
    code = static_cast<AckCode>(value);
  }
  void operator()(const char* field, std::string& text) { fixed(field, byte(field), text); }
  void fixed(const char* field, std::size_t size, std::string& text) {
    const auto bytes = take(field, size);
    text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  // The count is checked against the bytes left, each element taking at least
  // `min_bytes`, so a hostile count allocates nothing.
  template <typename Item, typename Each>
  void list(const char* field, std::vector<Item>& items, std::size_t min_bytes, const Each& each) {
    std::uint16_t count = 0;
    (*this)(field, count);
    if (count * min_bytes > in_.size()) {
      throw ProtocolError(std::string(field) + " of " + std::to_string(count) + " does not fit in " +
                          std::to_string(in_.size()) + " remaining bytes");
    }
    items.resize(count);
    for (Item& item : items) each(item);
  }

  std::uint8_t byte(const char* field) { return std::to_integer<std::uint8_t>(take(field, 1)[0]); }

  void expect_end(const char* message) const {
    if (!in_.empty()) throw ProtocolError(std::to_string(in_.size()) + " unexpected bytes after " + message);
  }

 private:
  std::span<const std::byte> take(const char* field, std::size_t size) {
    if (in_.size() < size) {
      throw ProtocolError(std::string("message truncated in field ") + field + ": needs " +
                          std::to_string(size) + " bytes, " + std::to_string(in_.size()) + " left");
    }
    const auto taken = in_.first(size);
    in_ = in_.subspan(size);
    return taken;
  }

  std::span<const std::byte> in_;
};

// A message of each type with its fields at their defaults, by its index in Message.
template <std::size_t... Index>
Message blank(std::size_t index, std::index_sequence<Index...> /*indexes*/) {
  static const Message kBlanks[] = {Message(std::in_place_index<Index>)...};
  return kBlanks[index];
}

// Appends the frame of `message` (its header, its body) to `out`, leaving `out` as it was
// if anything throws.
template <typename AnyMessage>
void encode_frame(const AnyMessage& message, std::vector<std::byte>& out) {
  const std::size_t start = out.size();
  try {
    out.resize(start + kFrameHeaderBytes);
    Put put(out);
    put("type", type_of<AnyMessage>());
    fields(put, message);
    const std::size_t body = out.size() - start - kFrameHeaderBytes;
    if (body > kMaxBodyBytes) {
      throw std::length_error("frame body of " + std::to_string(body) + " bytes is over " +
                              std::to_string(kMaxBodyBytes));
    }
    coding::put_big_endian<std::uint32_t>(out.data() + start, static_cast<std::uint32_t>(body));
  } catch (...) {
    out.resize(start);
    throw;
  }
}

}  // namespace

std::size_t encoded_size(const lottery::Bet& bet) {
  return 3 + bet.first_name.size() + bet.last_name.size() + bet.document.size() + kBirthdateBytes + 2;
}

void encode(const Message& message, std::vector<std::byte>& out) {
  std::visit([&out](const auto& m) { encode_frame(m, out); }, message);
}

void encode(const Batch& batch, std::vector<std::byte>& out) { encode_frame(batch, out); }

Message decode(std::span<const std::byte> body) {
  Get in(body);
  const std::uint8_t type = in.byte("type");
  if (type == 0 || type > std::variant_size_v<Message>) {
    throw ProtocolError("unknown message type " + std::to_string(type));
  }
  Message message = blank(type - 1, std::make_index_sequence<std::variant_size_v<Message>>());
  std::visit([&in](auto& m) { fields(in, m); }, message);
  in.expect_end(name_of(message));
  return message;
}

WinnersSplitter::WinnersSplitter(std::function<void(const Winners&)> emit)
    : emit_(std::move(emit)), frame_bytes_(kWinnersOverheadBytes) {}

void WinnersSplitter::add(const std::string& document) {
  const std::size_t size = 1 + document.size();
  if (frame_bytes_ + size > kMaxFrameBytes || message_.documents.size() == UINT16_MAX) {
    message_.last = false;
    emit_(message_);
    message_.documents.clear();
    frame_bytes_ = kWinnersOverheadBytes;
  }
  message_.documents.push_back(document);
  frame_bytes_ += size;
}

void WinnersSplitter::finish() {
  message_.last = true;
  emit_(message_);
}

}  // namespace tp0::protocol
