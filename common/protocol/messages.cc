#include "common/protocol/messages.h"

namespace tp0::protocol {

const char* name_of(const Message& message) {
  static constexpr const char* kNames[] = {"Hello",        "Bet",     "Batch",    "Ack",    "Finished",
                                           "WinnersQuery", "Winners", "NotReady", "Resume", "WaitForDraw"};
  return kNames[message.index()];
}

}  // namespace tp0::protocol
