#pragma once

// The Shopify simulator (tools/shopify-sim, `storeflow-shopify-sim`) as a child
// process of `storeflow demo`: started on a loopback ephemeral port with a fixtures
// folder, its output in a log file, stopped (SIGTERM, then SIGKILL) when done.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "common/result.h"

namespace storeflow::app {

class SimChild {
 public:
  // Starts `binary --port 0 --fixtures DIR`, its stdout and stderr in `log`, and
  // waits (10 s at most) for its "listening on http://127.0.0.1:PORT" line.
  static Result<std::unique_ptr<SimChild>> Start(const std::filesystem::path& binary,
                                                 const std::filesystem::path& fixtures,
                                                 const std::filesystem::path& log);
  ~SimChild();
  SimChild(const SimChild&) = delete;
  SimChild& operator=(const SimChild&) = delete;

  std::uint16_t port() const { return port_; }
  void Stop();

 private:
  SimChild(pid_t pid, std::uint16_t port) : pid_(pid), port_(port) {}
  pid_t pid_;
  std::uint16_t port_;
};

// The simulator next to the running `storeflow` executable (/proc/self/exe).
std::filesystem::path SimulatorNextToSelf();

}  // namespace storeflow::app
