#include <ostream>

#include "app/commands.h"

namespace storeflow::app {
int RunValidateCommand(const Args&, std::ostream&, std::ostream& err) {
  err << "storeflow validate: not built yet\n";
  return 2;
}
}  // namespace storeflow::app
