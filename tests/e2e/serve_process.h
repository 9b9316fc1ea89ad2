#pragma once

// A `storeflow serve` child process for end-to-end tests: started with a database
// URL, a workflows folder and a config file on 127.0.0.1 and an ephemeral port,
// which it reads from the server's "listening on http://HOST:PORT" line. Its
// stderr goes to a file the test can print when something fails.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace storeflow::e2e {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ServeProcess {
 public:
  ServeProcess() = default;
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() { Stop(SIGKILL); }

  // Starts the server; false (with log() telling why) when it did not listen within
  // `timeout`.
  bool Start(const std::vector<std::string>& args, const std::filesystem::path& log_file,
             std::chrono::seconds timeout = std::chrono::seconds(60)) {
    log_file_ = log_file;
    pid_ = fork();
    if (pid_ == 0) {
      const int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(log, 1);
      dup2(log, 2);
      if (chdir(STOREFLOW_SOURCE_DIR) != 0) _exit(99);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(STOREFLOW_BINARY));
      argv.push_back(const_cast<char*>("serve"));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(STOREFLOW_BINARY, argv.data());
      _exit(98);
    }
    if (pid_ < 0) return false;
    const std::regex listening("listening on http://[^:]+:([0-9]+)");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch match;
      const std::string text = ReadFile(log_file_);
      if (std::regex_search(text, match, listening)) {
        port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Sends `signal` and waits; the exit code (or -1 when killed by a signal).
  int Stop(int signal = SIGTERM) {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 once stopped
  std::string log() const { return ReadFile(log_file_); }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int exit_code_ = -1;
  std::filesystem::path log_file_;
};

}  // namespace storeflow::e2e
