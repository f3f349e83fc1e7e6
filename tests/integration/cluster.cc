#include "tests/integration/cluster.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tp0::testing {

Process& Cluster::start_server(Environment environment) {
  environment.emplace("SERVER_IP", "127.0.0.1");
  environment.emplace("SERVER_PORT", "0");
  environment.emplace("LOGGING_LEVEL", "DEBUG");
  environment.emplace("STORAGE_FILEPATH", bets_path());
  // A restarted server gets a log of its own, so that nothing of its predecessor's is read as its own.
  const std::string log = server_starts_++ == 0 ? "server.log" : "server-" + std::to_string(server_starts_) + ".log";
  server_ = std::make_unique<Process>(TP0_SERVER_BIN, environment, dir_.path(), dir_.file(log));
  if (!server_->wait_for_line("action: listen | result: success", kStartTimeout)) {
    throw std::runtime_error("server did not start:\n" + server_->output());
  }
  port_ = static_cast<std::uint16_t>(
      std::stoi(field_of(server_->lines_containing("action: listen")[0], "port")));
  return *server_;
}

Process& Cluster::restart_server(Environment environment) {
  environment.emplace("SERVER_PORT", std::to_string(port_));
  return start_server(std::move(environment));
}

Process& Cluster::start_client(std::uint32_t id, Environment environment) {
  environment.emplace("CLI_ID", std::to_string(id));
  environment.emplace("CLI_SERVER_ADDRESS", "127.0.0.1:" + std::to_string(port_));
  environment.emplace("CLI_LOG_LEVEL", "DEBUG");
  if (clients_.size() < id) clients_.resize(id);
  clients_[id - 1] = std::make_unique<Process>(TP0_CLIENT_BIN, environment, dir_.path(),
                                               dir_.file("client" + std::to_string(id) + ".log"));
  return *clients_[id - 1];
}

}  // namespace tp0::testing
