#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace storeflow::test_support {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ChildProcess::Start(const std::string& binary, const std::vector<std::string>& args,
                         const std::filesystem::path& log_file,
                         const std::filesystem::path& working_dir) {
  Stop(SIGKILL);
  log_file_ = log_file;
  port_ = 0;
  // Empty the log before the child exists: a previous run's line must not be read
  // as this run's port.
  if (!log_file.empty()) std::ofstream(log_file, std::ios::trunc).close();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log = log_file.empty() ? "/dev/null" : log_file.string();
  pid_ = fork();
  if (pid_ == 0) {
    // A test binary that crashes must not leave its children running.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(99);
    execv(binary.c_str(), argv.data());
    _exit(98);
  }
  return pid_ > 0;
}

bool ChildProcess::WaitForListening(std::chrono::milliseconds timeout) {
  const std::regex listening("listening on http://[^:/]+:([0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string text = ReadFile(log_file_);
    if (std::regex_search(text, match, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int ChildProcess::Stop(int signal) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return exit_code_;
}

}  // namespace storeflow::test_support
