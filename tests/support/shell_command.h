#pragma once

// Runs a shell command line for the CLI tests: stdout and stderr captured apart,
// the exit code kept (-1 when the shell could not start or was killed).

#include <string>

namespace storeflow::test_support {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;  // what the command wrote to stderr (unless it redirected it itself)
};

CommandResult RunShell(const std::string& command);

}  // namespace storeflow::test_support
