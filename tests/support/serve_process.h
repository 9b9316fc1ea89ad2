#pragma once

// `storeflow serve` as a child process, for integration, end-to-end and chaos
// tests: started with a database URL, a workflows folder and a config file on
// 127.0.0.1 (an ephemeral port unless told), which it reads from the server's
// "listening on http://HOST:PORT" line; stdout and stderr go to a file the test
// prints when something fails. Only targets that depend on the built binary define
// STOREFLOW_BINARY (tests/integration, e2e, chaos): unit tests cannot include this.

#ifndef STOREFLOW_BINARY
#error "serve_process.h runs the storeflow binary: only integration targets define STOREFLOW_BINARY"
#endif

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.h"

namespace storeflow::test_support {

class ServeProcess {
 public:
  // Starts `storeflow serve args...` in the source folder; false (with log() telling
  // why) when it did not listen within `timeout`.
  bool Start(const std::vector<std::string>& args, const std::filesystem::path& log_file,
             std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::vector<std::string> argv{"serve"};
    argv.insert(argv.end(), args.begin(), args.end());
    return child_.Start(STOREFLOW_BINARY, argv, log_file, STOREFLOW_SOURCE_DIR) &&
           child_.WaitForListening(timeout);
  }

  // Sends `signal` and waits; the exit code (or -1 when killed by a signal).
  int Stop(int signal = SIGTERM) { return child_.Stop(signal); }

  std::uint16_t port() const { return child_.port(); }
  pid_t pid() const { return child_.pid(); }  // -1 once stopped
  std::string log() const { return child_.log(); }

 private:
  ChildProcess child_;
};

// Starts `storeflow serve` on `url` with the workflows of `workflows` as a child
// process (output discarded, an ephemeral loopback port, a 1 s lease so a killed
// engine's runs are reclaimed quickly); the child's pid.
inline pid_t ServeChild(const std::string& url, const std::string& workflows, int workers) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    if (chdir(STOREFLOW_SOURCE_DIR) != 0) _exit(99);
    const std::string worker_count = std::to_string(workers);
    execl(STOREFLOW_BINARY, STOREFLOW_BINARY, "serve", "--db", url.c_str(), "--workflows",
          workflows.c_str(), "--workers", worker_count.c_str(), "--lease", "1000", "--listen",
          "127.0.0.1:0", static_cast<char*>(nullptr));
    _exit(98);
  }
  return pid;
}

}  // namespace storeflow::test_support
