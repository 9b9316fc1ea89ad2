#include "plugin/plugin_config.h"

#include <vector>

#include "common/did_you_mean.h"

namespace storeflow::plugin {
namespace {

using Json = nlohmann::json;

std::string Place(const std::string& plugin, const ConfigLocations& locations,
                  const std::string& pointer) {
  for (std::string p = pointer;; p = p.substr(0, p.rfind('/'))) {
    if (auto it = locations.find(p); it != locations.end()) return it->second;
    if (p.empty()) break;
  }
  return "plugins.config." + plugin;
}

// "/smtp/host" -> "smtp.host".
std::string Dotted(const std::string& pointer) {
  std::string out;
  for (char c : pointer) out += c == '/' ? '.' : c;
  return out.empty() ? out : out.substr(1);
}

void CheckKeys(const std::string& plugin, const Json& schema, const Json& value,
               const std::string& pointer, const ConfigLocations& locations,
               std::vector<std::string>& errors) {
  if (!schema.is_object() || !value.is_object() || !schema.contains("properties") ||
      !schema["properties"].is_object()) {
    return;
  }
  const Json additional = schema.value("additionalProperties", Json(false));
  const bool open = additional.is_object() || (additional.is_boolean() && additional.get<bool>());
  std::vector<std::string> names;
  for (const auto& [name, sub] : schema["properties"].items()) names.push_back(name);
  for (const auto& [key, item] : value.items()) {
    const std::string here = pointer + "/" + key;
    if (!schema["properties"].contains(key)) {
      if (open) continue;
      std::string in = pointer.empty() ? "plugins.config." + plugin
                                       : "plugins.config." + plugin + "." + Dotted(pointer);
      errors.push_back(Place(plugin, locations, here) + ": unknown key '" + key + "' in '" + in +
                       "'" + ValidChoicesHint(key, names));
      continue;
    }
    CheckKeys(plugin, schema["properties"][key], item, here, locations, errors);
  }
}

// "$.smtp.port" -> "/smtp/port" (for locations; array indexes kept as /N).
std::string PointerOf(const std::string& path) {
  std::string out;
  for (std::size_t i = 1; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '.') {
      out += '/';
    } else if (c == '[') {
      out += '/';
    } else if (c != ']') {
      out += c;
    }
  }
  return out;
}

}  // namespace

Status CheckPluginConfig(const std::string& plugin, const Json& schema, const JsonSchema* compiled,
                         const Json& config, const ConfigLocations& locations) {
  std::vector<std::string> errors;
  if (schema.is_null() || compiled == nullptr) {
    if (config.is_object() && !config.empty()) {
      errors.push_back(Place(plugin, locations, "") + ": plugin '" + plugin +
                       "' takes no configuration (its manifest has no config_schema)");
    }
  } else {
    CheckKeys(plugin, schema, config, "", locations, errors);
    if (errors.empty()) {
      for (const SchemaViolation& v : compiled->Validate(config)) {
        errors.push_back(Place(plugin, locations, PointerOf(v.path)) + ": plugins.config." +
                         plugin + " " + v.path + ": " + v.message);
        if (errors.size() >= 5) break;
      }
    }
  }
  if (errors.empty()) return Status::Ok();
  std::string message = "invalid configuration of plugin '" + plugin + "':";
  for (const std::string& e : errors) message += "\n  " + e;
  return InvalidArgument(std::move(message));
}

}  // namespace storeflow::plugin
