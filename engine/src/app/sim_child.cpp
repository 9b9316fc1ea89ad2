#include "app/sim_child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace storeflow::app {
namespace {

namespace fs = std::filesystem;

// The port of the "listening on http://127.0.0.1:PORT" line in `log`; 0 when not yet.
std::uint16_t ListeningPort(const fs::path& log) {
  std::ifstream in(log);
  constexpr std::string_view kPrefix = "listening on http://127.0.0.1:";
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(kPrefix);
    if (at == std::string::npos) continue;
    const int port = std::atoi(line.c_str() + at + kPrefix.size());
    if (port > 0 && port < 65536) return static_cast<std::uint16_t>(port);
  }
  return 0;
}

std::string Tail(const fs::path& log) {
  std::ifstream in(log);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

fs::path SimulatorNextToSelf() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "storeflow-shopify-sim";
  return self.parent_path() / "storeflow-shopify-sim";
}

Result<std::unique_ptr<SimChild>> SimChild::Start(const fs::path& binary, const fs::path& fixtures,
                                                  const fs::path& log) {
  if (::access(binary.c_str(), X_OK) != 0) {
    return NotFound("the Shopify simulator " + binary.string() +
                    " is not there: build the target storeflow-shopify-sim (tools/demo.sh does), "
                    "or name it with --sim PATH");
  }
  if (!fs::exists(fixtures / "shops.json")) {
    return NotFound("the simulator's fixtures " + (fixtures / "shops.json").string() +
                    " are not there: run the demo from the source tree");
  }
  std::vector<std::string> args = {binary.string(), "--port", "0", "--fixtures", fixtures.string()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Unavailable("cannot start " + binary.string() + ": " + std::strerror(spawned));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (const std::uint16_t port = ListeningPort(log); port != 0) {
      return std::unique_ptr<SimChild>(new SimChild(pid, port));
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return Unavailable("the Shopify simulator exited at start: " + Tail(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  SimChild stray(pid, 0);
  stray.Stop();
  return DeadlineExceeded("the Shopify simulator did not listen within 10 s: " + Tail(log));
}

SimChild::~SimChild() {
  Stop();
}

void SimChild::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = 0;
}

}  // namespace storeflow::app
