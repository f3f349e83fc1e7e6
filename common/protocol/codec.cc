#include "common/protocol/codec.h"

#include <stdexcept>
#include <type_traits>

#include "common/protocol/errors.h"
#include "common/protocol/wire.h"

namespace tp0::protocol {
namespace {

constexpr std::size_t kBirthdateBytes = 10;
// The fewest bytes a bet can take (all strings empty): bounds a count before allocating.
constexpr std::size_t kMinBetBytes = 3 + kBirthdateBytes + 2;
// Bytes of a Winners frame before its first document: header, type, last flag, count.
constexpr std::size_t kWinnersOverheadBytes = kFrameHeaderBytes + 1 + 1 + 2;

// Reads an element count and checks that the rest of the body can hold that many
// elements of at least `min_bytes` each, so a hostile count allocates nothing.
std::size_t read_count(WireReader& in, const char* field, std::size_t min_bytes) {
  const std::size_t count = in.u16(field);
  if (count * min_bytes > in.remaining()) {
    throw ProtocolError(std::string(field) + " of " + std::to_string(count) + " does not fit in " +
                        std::to_string(in.remaining()) + " remaining bytes");
  }
  return count;
}

// A false that depends on T, so the assertion below fires only for a type left out.
template <typename T>
struct AlwaysFalse : std::false_type {};

void put_bet(WireWriter& out, const lottery::Bet& bet) {
  if (!encodable(bet)) {
    throw std::invalid_argument("bet of document " + bet.document + " cannot be encoded");
  }
  out.short_string(bet.first_name);
  out.short_string(bet.last_name);
  out.short_string(bet.document);
  out.fixed(bet.birthdate);
  out.u16(bet.number);
}

void get_bet(WireReader& in, std::uint32_t agency, lottery::Bet& bet) {
  bet.agency = agency;
  in.short_string("first_name", bet.first_name);
  in.short_string("last_name", bet.last_name);
  in.short_string("document", bet.document);
  in.fixed("birthdate", kBirthdateBytes, bet.birthdate);
  bet.number = in.u16("number");
}

void put_batch(WireWriter& out, const Batch& batch) {
  if (batch.bets.size() > UINT16_MAX) throw std::length_error("batch of too many bets");
  out.u8(static_cast<std::uint8_t>(MessageType::kBatch));
  out.u32(batch.agency);
  out.u32(batch.first_position);
  out.u16(static_cast<std::uint16_t>(batch.bets.size()));
  for (const auto& bet : batch.bets) put_bet(out, bet);
}

void put_body(WireWriter& out, const Message& message) {
  std::visit(
      [&out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Hello>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kHello));
          out.u32(m.agency);
        } else if constexpr (std::is_same_v<T, SingleBet>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kBet));
          out.u32(m.bet.agency);
          out.u32(m.position);
          put_bet(out, m.bet);
        } else if constexpr (std::is_same_v<T, Batch>) {
          put_batch(out, m);
        } else if constexpr (std::is_same_v<T, Ack>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kAck));
          out.u8(static_cast<std::uint8_t>(m.code));
          out.u16(m.bet_index);
        } else if constexpr (std::is_same_v<T, Finished>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kFinished));
        } else if constexpr (std::is_same_v<T, WinnersQuery>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kWinnersQuery));
          out.u32(m.agency);
        } else if constexpr (std::is_same_v<T, Winners>) {
          if (m.documents.size() > UINT16_MAX) throw std::length_error("too many winners");
          out.u8(static_cast<std::uint8_t>(MessageType::kWinners));
          out.u8(m.last ? 1 : 0);
          out.u16(static_cast<std::uint16_t>(m.documents.size()));
          for (const auto& document : m.documents) out.short_string(document);
        } else if constexpr (std::is_same_v<T, NotReady>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kNotReady));
        } else if constexpr (std::is_same_v<T, Resume>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kResume));
          out.u32(m.stored);
        } else if constexpr (std::is_same_v<T, WaitForDraw>) {
          out.u8(static_cast<std::uint8_t>(MessageType::kWaitForDraw));
        } else {
          static_assert(AlwaysFalse<T>::value, "every message type needs an encoding");
        }
      },
      message);
}

AckCode ack_code(std::uint8_t value) {
  if (value > static_cast<std::uint8_t>(AckCode::kTooManyBets)) {
    throw ProtocolError("unknown acknowledgement code " + std::to_string(value));
  }
  return static_cast<AckCode>(value);
}

}  // namespace

std::size_t encoded_size(const lottery::Bet& bet) {
  return 3 + bet.first_name.size() + bet.last_name.size() + bet.document.size() + kBirthdateBytes + 2;
}

bool encodable(const lottery::Bet& bet) {
  return bet.first_name.size() <= 255 && bet.last_name.size() <= 255 && bet.document.size() <= 255 &&
         bet.birthdate.size() == kBirthdateBytes;
}

namespace {

// Frames what `put` writes, leaving `out` as it was if anything throws.
template <typename Put>
void encode_frame(std::vector<std::byte>& out, const Put& put) {
  const std::size_t start = begin_frame(out);
  try {
    WireWriter writer(out);
    put(writer);
    end_frame(out, start);
  } catch (...) {
    out.resize(start);
    throw;
  }
}

}  // namespace

void encode(const Message& message, std::vector<std::byte>& out) {
  encode_frame(out, [&](WireWriter& writer) { put_body(writer, message); });
}

void encode(const Batch& batch, std::vector<std::byte>& out) {
  encode_frame(out, [&](WireWriter& writer) { put_batch(writer, batch); });
}

Message decode(std::span<const std::byte> body) {
  WireReader in(body);
  const std::uint8_t type = in.u8("type");
  Message message;
  switch (static_cast<MessageType>(type)) {
    case MessageType::kHello:
      message = Hello{in.u32("agency")};
      break;
    case MessageType::kBet: {
      SingleBet single;
      const std::uint32_t agency = in.u32("agency");
      single.position = in.u32("position");
      get_bet(in, agency, single.bet);
      message = std::move(single);
      break;
    }
    case MessageType::kBatch: {
      Batch batch;
      batch.agency = in.u32("agency");
      batch.first_position = in.u32("first_position");
      batch.bets.resize(read_count(in, "bet count", kMinBetBytes));
      for (auto& bet : batch.bets) get_bet(in, batch.agency, bet);
      message = std::move(batch);
      break;
    }
    case MessageType::kAck: {
      const AckCode code = ack_code(in.u8("code"));
      message = Ack{code, in.u16("bet_index")};
      break;
    }
    case MessageType::kFinished:
      message = Finished{};
      break;
    case MessageType::kWinnersQuery:
      message = WinnersQuery{in.u32("agency")};
      break;
    case MessageType::kWinners: {
      Winners winners;
      const std::uint8_t last = in.u8("last");
      if (last > 1) throw ProtocolError("Winners flag 'last' is " + std::to_string(last));
      winners.last = last == 1;
      winners.documents.resize(read_count(in, "document count", 1));
      for (auto& document : winners.documents) in.short_string("document", document);
      message = std::move(winners);
      break;
    }
    case MessageType::kNotReady:
      message = NotReady{};
      break;
    case MessageType::kResume:
      message = Resume{in.u32("stored")};
      break;
    case MessageType::kWaitForDraw:
      message = WaitForDraw{};
      break;
    default:
      throw ProtocolError("unknown message type " + std::to_string(type));
  }
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
