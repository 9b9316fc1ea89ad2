#pragma once

// The manifest a plugin exports as JSON (storeflow_plugin_table_v1.manifest_json):
// its description, config schema, actions (each with the JSON Schema of its
// `with:` input) and sources. Parsed and checked before any plugin code runs.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/json_schema.h"
#include "common/result.h"
#include "plugin/plugin_metrics.h"

namespace storeflow::plugin {

struct ActionSpec {
  std::string name;  // "<plugin>.<action>"
  std::string description;
  nlohmann::json input_schema;
  nlohmann::json output_schema;  // null when not declared
  nlohmann::json examples = nlohmann::json::array();
  std::shared_ptr<const JsonSchema> input;   // compiled input_schema
  std::shared_ptr<const JsonSchema> output;  // compiled output_schema (null when none)
};

struct PluginManifest {
  std::string description;
  nlohmann::json config_schema;              // null: the plugin takes no config
  std::shared_ptr<const JsonSchema> config;  // compiled config_schema (null when none)
  std::vector<ActionSpec> actions;
  nlohmann::json sources = nlohmann::json::array();
  std::vector<std::string> source_names;  // sources[].name, checked: [a-z][a-z0-9_-]*
  std::vector<MetricSpec> metrics;        // optional in the manifest: older plugins declare none
};

// Parses `text` for plugin `plugin`; `origin` (the library file) starts every
// message. Refuses JSON that does not parse (with line and column), missing or
// mistyped fields, action names not prefixed "<plugin>.", duplicate action names
// schemas that do not compile and bad `metrics` entries (plugin_metrics.h).
Result<PluginManifest> ParseManifest(const std::string& text, const std::string& plugin,
                                     const std::string& origin);

// "line L, column C" of byte `offset` of `text` (1-based).
std::string TextPosition(const std::string& text, std::size_t offset);

}  // namespace storeflow::plugin
