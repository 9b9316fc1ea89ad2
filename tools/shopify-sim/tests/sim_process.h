#pragma once

// Starts the real storeflow-shopify-sim binary on 127.0.0.1 and an ephemeral port
// (like tests/e2e/serve_process.h does for `storeflow serve`): the port is read from
// the "listening on http://127.0.0.1:PORT" line; stdout and stderr go to a log file.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace storeflow::shopify_sim::testing {

class SimProcess {
 public:
  SimProcess() = default;
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;
  ~SimProcess();

  // Starts the simulator with `args` (after the binary name); false when it did not
  // print its URL within `timeout` (log() tells why).
  bool Start(const std::vector<std::string>& args, const std::filesystem::path& log_file,
             std::chrono::seconds timeout = std::chrono::seconds(60));
  int Stop();  // SIGTERM and wait; the exit code

  std::uint16_t port() const { return port_; }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::filesystem::path log_file_;
};

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // as sent
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One HTTP/1.1 request to 127.0.0.1:port.
Reply Http(std::uint16_t port, const std::string& method, const std::string& target,
           const std::string& body = "", const std::map<std::string, std::string>& headers = {});

}  // namespace storeflow::shopify_sim::testing
