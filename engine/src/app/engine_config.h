#pragma once

// The engine's configuration: built-in defaults, then a YAML file, then
// environment variables (STOREFLOW_<SECTION>_<KEY>, e.g. STOREFLOW_LUA_TIME_LIMIT).
// Every key is listed in docs/operations.md; unknown keys are errors that name
// the valid ones.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "script/sandbox.h"

namespace storeflow::app {

struct EngineConfig {
  script::Limits lua;

  // Where the values came from, for `storeflow config` and logs.
  std::vector<std::string> sources;
};

struct ConfigSources {
  // An explicit file (--config); when absent, STOREFLOW_CONFIG, then
  // config/storeflow.yaml if it exists, else built-in defaults only.
  std::optional<std::string> file;
  // Reads an environment variable; nullptr when unset (tests pass their own).
  std::function<const char*(const char*)> getenv;
};

// Errors name the place: "config/storeflow.yaml:4:3: unknown key 'time_limt' in 'lua'
// (valid keys: ...); did you mean 'time_limit'?" or "environment STOREFLOW_LUA_TIME_LIMIT: ...".
Result<EngineConfig> LoadEngineConfig(const ConfigSources& sources);

// One line per key: "lua.time_limit  STOREFLOW_LUA_TIME_LIMIT  250ms  description".
struct ConfigKeyInfo {
  std::string path;
  std::string env;
  std::string default_value;
  std::string description;
};
std::vector<ConfigKeyInfo> DescribeConfigKeys();

}  // namespace storeflow::app
