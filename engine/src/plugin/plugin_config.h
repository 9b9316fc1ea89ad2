#pragma once

// A plugin's configuration (plugins.config.<name> in the engine config) checked
// against the config_schema of its manifest before init.

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/json_schema.h"
#include "common/result.h"

namespace storeflow::plugin {

// Where the values of one plugin's config were written: JSON pointer within the
// config ("" for the whole map, "/transport", "/smtp/host") -> "file:line:col".
using ConfigLocations = std::map<std::string, std::string>;

// Checks `config` for plugin `plugin`: a key the schema does not declare (where it
// declares `properties` and does not allow additionalProperties) is an error
// naming the valid keys with a did-you-mean; then the whole schema (JSON path in
// the message). Messages start with the key's file:line:col when known, else
// "plugins.config.<plugin>".
Status CheckPluginConfig(const std::string& plugin, const nlohmann::json& schema,
                         const JsonSchema* compiled, const nlohmann::json& config,
                         const ConfigLocations& locations);

}  // namespace storeflow::plugin
