#include "tests/integration/cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "tests/support/certificates.h"

namespace tp0::testing {
namespace {

// Whether `environment` sets `name` to `value`, compared as the programs compare
// settings: in any case.
bool says(const Environment& environment, const std::string& name, const std::string& value) {
  const auto it = environment.find(name);
  return it != environment.end() &&
         std::equal(it->second.begin(), it->second.end(), value.begin(), value.end(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// The agencies of the round a server with `environment` plays: 1 to SERVER_AGENCIES, 5 by default.
std::vector<std::uint32_t> round_agencies(const Environment& environment) {
  const auto it = environment.find("SERVER_AGENCIES");
  const auto count = static_cast<std::uint32_t>(it == environment.end() ? 5 : std::stoul(it->second));
  std::vector<std::uint32_t> agencies(count);
  for (std::uint32_t i = 0; i < count; ++i) agencies[i] = i + 1;
  return agencies;
}

}  // namespace

Process& Cluster::start_server(Environment environment) {
  environment.emplace("SERVER_IP", "127.0.0.1");
  environment.emplace("SERVER_PORT", "0");
  environment.emplace("LOGGING_LEVEL", "DEBUG");
  environment.emplace("STORAGE_FILEPATH", bets_path());
  tls_ = !says(environment, "SERVER_TLS", "off") && !says(environment, "SERVER_MODE", "echo");
  if (tls_) {
    // Made before the server starts, so that its clients need not wait for them.
    make_certificates_for(round_agencies(environment));
    environment.merge(server_tls_environment(credentials_in(server_folder(), "server")));
  }
  // A restarted server gets a log of its own, so that nothing of its predecessor's is read as its own.
  const std::string log =
      server_starts_++ == 0 ? "server.log" : "server-" + std::to_string(server_starts_) + ".log";
  server_ = std::make_unique<Process>(TP0_SERVER_BIN, environment, dir_.path(), dir_.file(log));
  if (!server_->wait_for_line("action: listen | result: success", kStartTimeout)) {
    throw std::runtime_error("server did not start:\n" + server_->output());
  }
  port_ =
      static_cast<std::uint16_t>(std::stoi(field_of(server_->lines_containing("action: listen")[0], "port")));
  return *server_;
}

Process& Cluster::restart_server(Environment environment) {
  environment.emplace("SERVER_PORT", std::to_string(port_));
  return start_server(std::move(environment));
}

Environment Cluster::client_environment(std::uint32_t id, Environment environment) {
  environment.emplace("CLI_ID", std::to_string(id));
  environment.emplace("CLI_SERVER_ADDRESS", "127.0.0.1:" + std::to_string(port_));
  environment.emplace("CLI_LOG_LEVEL", "DEBUG");
  if (!says(environment, "CLI_TLS", "off") && !says(environment, "CLI_MODE", "echo")) {
    environment.merge(client_tls_environment(credentials_in(agency_folder(id), "agency")));
  }
  return environment;
}

Process& Cluster::start_client(std::uint32_t id, Environment environment) {
  environment = client_environment(id, std::move(environment));
  if (clients_.size() < id) clients_.resize(id);
  clients_[id - 1] = std::make_unique<Process>(TP0_CLIENT_BIN, environment, dir_.path(),
                                               dir_.file("client" + std::to_string(id) + ".log"));
  return *clients_[id - 1];
}

std::string Cluster::agency_folder(std::uint32_t id) {
  make_certificates_for({id});
  return dir_.file("tls/agency-" + std::to_string(id));
}

std::string Cluster::server_folder() {
  make_certificates_for({});
  return dir_.file("tls/server");
}

void Cluster::make_certificates_for(const std::vector<std::uint32_t>& agencies) {
  const std::lock_guard lock(certificates_mutex_);
  std::vector<std::uint32_t> missing;
  std::copy_if(agencies.begin(), agencies.end(), std::back_inserter(missing),
               [&](std::uint32_t id) { return !made_.contains(id); });
  if (server_made_ && missing.empty()) return;
  make_certificates(dir_.file("tls"), missing);
  server_made_ = true;
  made_.insert(missing.begin(), missing.end());
}

}  // namespace tp0::testing
