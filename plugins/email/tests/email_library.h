#pragma once

// The built email plugin, loaded once per test process through its C entry point.
#include "plugin_test_host.h"

namespace storeflow::plugins::email::testing {

inline const plugins::testing::LoadedPlugin& EmailLibrary() {
  static plugins::testing::LoadedPlugin plugin(STOREFLOW_EMAIL_PLUGIN);
  return plugin;
}

}  // namespace storeflow::plugins::email::testing
