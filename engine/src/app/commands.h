#pragma once

// The `storeflow` sub-commands. Each takes the arguments after its own name and
// returns the process exit code: 0 success, 1 the checked thing failed (invalid
// workflow, failing rule test, failed run), 2 usage error.

#include <iosfwd>
#include <string>
#include <vector>

namespace storeflow::app {

using Args = std::vector<std::string>;

int RunValidateCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunRulesCommand(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace storeflow::app
