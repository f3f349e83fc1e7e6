#include "server/round/round.h"

#include <stdexcept>

namespace tp0::round {

Round::Resumed Round::resume(const std::string& path, storage::Durability durability) {
  Resumed found;
  try {
    found.recovery = storage::recover(path, streams_, durability);
  } catch (const storage::UnknownStream& error) {
    throw std::runtime_error(
        "the round in " + path + " has bets of agency " + std::to_string(error.stream()) +
        ", which is not one of this server's agencies (SERVER_AGENCIES, SERVER_AGENCY_IDS): "
        "start it with those of that round, or start a new round with SERVER_ROUND=new");
  }
  for (std::uint32_t position = 0; position < size(); ++position)
    found.bets += streams_.at(position).position;
  return found;
}

}  // namespace tp0::round
