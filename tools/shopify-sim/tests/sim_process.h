#pragma once

// Starts the real storeflow-shopify-sim binary on 127.0.0.1 and an ephemeral port
// (a test_support::ChildProcess, like `storeflow serve` in serve_process.h): the
// port is read from its "listening on http://127.0.0.1:PORT" line; stdout and
// stderr go to a log file.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.h"
#include "http_client.h"

namespace storeflow::shopify_sim::testing {

class SimProcess {
 public:
  // Starts the simulator with `args` (after the binary name); false when it did not
  // print its URL within `timeout` (log() tells why).
  bool Start(const std::vector<std::string>& args, const std::filesystem::path& log_file,
             std::chrono::seconds timeout = std::chrono::seconds(60));
  int Stop();  // SIGTERM and wait; the exit code

  std::uint16_t port() const { return child_.port(); }
  std::string log() const { return child_.log(); }

 private:
  test_support::ChildProcess child_;
};

// One HTTP/1.1 request to 127.0.0.1:port (the shared test client).
using Reply = test_support::HttpReply;
using test_support::Http;

}  // namespace storeflow::shopify_sim::testing
