#include "shell_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "child_process.h"

namespace storeflow::test_support {

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  // One stderr file per call: ctest runs tests in parallel processes.
  std::string err_file =
      (std::filesystem::temp_directory_path() / "storeflow-test-stderr-XXXXXX").string();
  const int fd = mkstemp(err_file.data());
  if (fd < 0) return result;
  close(fd);
  const std::string line = "( " + command + " ) 2>'" + err_file + "'";
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe != nullptr) {
    std::array<char, 4096> buffer;
    std::size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
      result.out.append(buffer.data(), n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  result.err = ReadFile(err_file);
  std::remove(err_file.c_str());
  return result;
}

}  // namespace storeflow::test_support
