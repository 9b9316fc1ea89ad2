#include <ostream>

#include "app/commands.h"

namespace storeflow::app {
int RunRulesCommand(const Args&, std::ostream&, std::ostream& err) {
  err << "storeflow rules: not built yet\n";
  return 2;
}
}  // namespace storeflow::app
