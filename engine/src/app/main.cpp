// storeflow: one executable, sub-commands dispatched here.

#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "app/version.h"

namespace {

constexpr std::string_view kUsage = R"(storeflow — a workflow engine for commerce automation

Usage: storeflow <command> [options]

Commands:
  validate [--root DIR] [PATH...]       check workflow files or folders (default: workflows/);
                                        rule paths resolve against DIR (default: .)
  rules eval SCRIPT.lua#FUNCTION --input FILE.json|-
                                        call a Lua rule and print its result as JSON
  rules test [PATH]                     run the rule test cases next to the scripts (default: scripts/)
  help                                  show this text
  --version                             print the version

Exit codes: 0 ok, 1 the checked thing failed, 2 usage error.
Documentation: docs/quickstart.md, docs/workflow-dsl.md, docs/lua-rules.md
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string_view command = argv[1];
  storeflow::app::Args rest(argv + 2, argv + argc);
  try {
    if (command == "--version" || command == "version") {
      std::cout << "storeflow " << storeflow::app::kVersion << "\n";
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (command == "validate") return storeflow::app::RunValidateCommand(rest, std::cout, std::cerr);
    if (command == "rules") return storeflow::app::RunRulesCommand(rest, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // Modules report errors as Status; reaching here is a bug worth a clear line.
    std::cerr << "storeflow: internal error: " << e.what() << "\n";
    return 70;
  }
  std::cerr << "storeflow: unknown command \"" << command << "\"; run `storeflow help`\n";
  return 2;
}
