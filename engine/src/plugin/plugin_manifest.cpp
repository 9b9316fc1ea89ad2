#include "plugin/plugin_manifest.h"

#include <algorithm>
#include <cctype>

namespace storeflow::plugin {
namespace {

using Json = nlohmann::json;

Status Bad(const std::string& origin, const std::string& message) {
  return InvalidArgument(origin + ": manifest: " + message);
}

}  // namespace

std::string TextPosition(const std::string& text, std::size_t offset) {
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Result<PluginManifest> ParseManifest(const std::string& text, const std::string& plugin,
                                     const std::string& origin) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // e.byte is 1-based: the byte where parsing stopped.
    const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    if (auto pos = what.find("syntax error"); pos != std::string::npos) what = what.substr(pos);
    return Bad(origin, "not valid JSON at " + TextPosition(text, at) + ": " + what);
  }
  if (!doc.is_object()) return Bad(origin, "expected a JSON object at the top");
  PluginManifest m;
  if (doc.contains("description")) {
    if (!doc["description"].is_string()) return Bad(origin, "'description' must be a string");
    m.description = doc["description"].get<std::string>();
  }
  if (doc.contains("config_schema") && !doc["config_schema"].is_null()) {
    if (!doc["config_schema"].is_object()) return Bad(origin, "'config_schema' must be an object");
    m.config_schema = doc["config_schema"];
    auto compiled = JsonSchema::Parse(m.config_schema);
    if (!compiled.ok()) return Bad(origin, "config_schema: " + compiled.status().message());
    m.config = *compiled;
  }
  if (!doc.contains("actions") || !doc["actions"].is_array()) {
    return Bad(origin, "'actions' is required: a list of {name, description, input_schema}");
  }
  const std::string prefix = plugin + ".";
  for (std::size_t i = 0; i < doc["actions"].size(); ++i) {
    const Json& a = doc["actions"][i];
    const std::string where = "actions[" + std::to_string(i) + "]";
    if (!a.is_object()) return Bad(origin, where + " must be an object");
    if (!a.contains("name") || !a["name"].is_string()) {
      return Bad(origin, where + ": 'name' (a string) is required");
    }
    ActionSpec spec;
    spec.name = a["name"].get<std::string>();
    if (spec.name.rfind(prefix, 0) != 0 || spec.name.size() == prefix.size()) {
      return Bad(origin, where + ": action '" + spec.name + "' must be named '" + prefix +
                             "<action>' (expected prefix '" + prefix + "')");
    }
    for (const ActionSpec& other : m.actions) {
      if (other.name == spec.name) return Bad(origin, "action '" + spec.name + "' is listed twice");
    }
    if (a.contains("description")) {
      if (!a["description"].is_string())
        return Bad(origin, where + ": 'description' must be a string");
      spec.description = a["description"].get<std::string>();
    }
    if (!a.contains("input_schema") || !a["input_schema"].is_object()) {
      return Bad(origin, "action '" + spec.name + "': 'input_schema' (an object) is required");
    }
    spec.input_schema = a["input_schema"];
    auto compiled = JsonSchema::Parse(spec.input_schema);
    if (!compiled.ok()) {
      return Bad(origin,
                 "action '" + spec.name + "': input_schema: " + compiled.status().message());
    }
    spec.input = *compiled;
    if (a.contains("output_schema") && !a["output_schema"].is_null()) {
      if (!a["output_schema"].is_object()) {
        return Bad(origin, "action '" + spec.name + "': 'output_schema' must be an object");
      }
      spec.output_schema = a["output_schema"];
      auto output = JsonSchema::Parse(spec.output_schema);
      if (!output.ok()) {
        return Bad(origin,
                   "action '" + spec.name + "': output_schema: " + output.status().message());
      }
      spec.output = *output;
    }
    if (a.contains("examples")) {
      if (!a["examples"].is_array()) {
        return Bad(origin, "action '" + spec.name + "': 'examples' must be a list");
      }
      spec.examples = a["examples"];
    }
    m.actions.push_back(std::move(spec));
  }
  if (doc.contains("sources")) {
    if (!doc["sources"].is_array()) return Bad(origin, "'sources' must be a list");
    for (std::size_t i = 0; i < doc["sources"].size(); ++i) {
      const Json& source = doc["sources"][i];
      const std::string where = "sources[" + std::to_string(i) + "]";
      if (!source.is_object() || !source.contains("name") || !source["name"].is_string()) {
        return Bad(origin, where + " must be an object with a string 'name'");
      }
      const std::string name = source["name"].get<std::string>();
      const bool word = !name.empty() && std::islower(static_cast<unsigned char>(name[0])) &&
                        std::all_of(name.begin(), name.end(), [](char c) {
                          return std::islower(static_cast<unsigned char>(c)) ||
                                 std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
                                 c == '-';
                        });
      if (!word) {
        return Bad(origin, where + ".name '" + name +
                               "' must be [a-z][a-z0-9_-]* (it is the first part of `queue: " +
                               "<source>/<topic>`)");
      }
      for (const std::string& seen : m.source_names) {
        if (seen == name) return Bad(origin, "duplicate source '" + name + "'");
      }
      m.source_names.push_back(name);
    }
    m.sources = doc["sources"];
  }
  if (doc.contains("metrics")) {
    auto metrics = ParseMetricSpecs(doc["metrics"], origin);
    if (!metrics.ok()) return metrics.status();
    m.metrics = std::move(metrics).value();
  }
  return m;
}

}  // namespace storeflow::plugin
