#include "sim_process.h"

#include <signal.h>

namespace storeflow::shopify_sim::testing {

bool SimProcess::Start(const std::vector<std::string>& args, const std::filesystem::path& log_file,
                       std::chrono::seconds timeout) {
  return child_.Start(STOREFLOW_SHOPIFY_SIM, args, log_file, STOREFLOW_SOURCE_DIR) &&
         child_.WaitForListening(timeout);
}

int SimProcess::Stop() {
  return child_.Stop(SIGTERM);
}

}  // namespace storeflow::shopify_sim::testing
