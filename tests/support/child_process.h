#pragma once

// A child process for tests that run a built binary (`storeflow serve`, the Shopify
// simulator, a CLI command): started with its arguments in a working folder, its
// stdout and stderr going to a log file the test prints when something fails, and,
// for servers, the port read from their "listening on http://HOST:PORT" line. The
// child is killed when the test process dies (PR_SET_PDEATHSIG) or the object goes.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace storeflow::test_support {

// The whole content of a file ("" when it cannot be read).
std::string ReadFile(const std::filesystem::path& path);

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Stop(9 /* SIGKILL */); }

  // Starts `binary args...` in `working_dir` (unchanged when empty), output to
  // `log_file` (emptied first; /dev/null when empty). False when fork failed.
  bool Start(const std::string& binary, const std::vector<std::string>& args,
             const std::filesystem::path& log_file, const std::filesystem::path& working_dir = {});

  // Waits until the log says "listening on http://HOST:PORT" and keeps the port;
  // false when the process ended first or `timeout` passed (log() tells why).
  bool WaitForListening(std::chrono::milliseconds timeout);

  // Sends `signal` and waits; the exit code (-1 when ended by a signal, or when
  // nothing was running: then the last exit code).
  int Stop(int signal);

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 once stopped
  std::string log() const { return ReadFile(log_file_); }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int exit_code_ = -1;
  std::filesystem::path log_file_;
};

}  // namespace storeflow::test_support
