#include "runtime/workflow_config.h"

#include <algorithm>
#include <cctype>
#include <memory>

#include "common/did_you_mean.h"
#include "common/duration.h"

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;

std::string Upper(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_';
  }
  return out;
}

std::string KindOf(const Json& value) {
  if (value.is_string()) return "text \"" + value.get<std::string>() + "\"";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "the number " + value.dump();
  if (value.is_object()) return "a map";
  if (value.is_array()) return "a list";
  return "null";
}

bool IsDuration(const Json& value) {
  return value.is_string() && ParseDuration(value.get<std::string>()).ok();
}

// Replaces `target` (the workflow's value at `path`) by `value`, or adds why it
// cannot: the same kind of value as the default, maps merged key by key.
void Conform(Json& target, const Json& value, const std::string& path, const std::string& origin,
             std::vector<std::string>& errors) {
  auto fail = [&](const std::string& expected) {
    errors.push_back(origin + ": " + path + " must be " + expected + " like the workflow's " +
                     target.dump() + ", got " + KindOf(value));
  };
  if (target.is_null()) {
    target = value;
  } else if (IsDuration(target)) {
    if (IsDuration(value) || (value.is_number() && value.get<double>() >= 0)) {
      target = value;
    } else if (value.is_string()) {
      errors.push_back(origin + ": " + path + ": " +
                       ParseDuration(value.get<std::string>()).status().message());
    } else {
      fail("a duration (e.g. 30m, 4h, or a number of seconds)");
    }
  } else if (target.is_string()) {
    if (value.is_string()) {
      target = value;
    } else if (value.is_number() || value.is_boolean()) {
      target = value.dump();
    } else {
      fail("text");
    }
  } else if (target.is_boolean()) {
    if (value.is_boolean()) {
      target = value;
    } else {
      fail("true or false");
    }
  } else if (target.is_number_integer()) {
    if (value.is_number_integer()) {
      target = value;
    } else {
      fail("a whole number");
    }
  } else if (target.is_number()) {
    if (value.is_number()) {
      target = value;
    } else {
      fail("a number");
    }
  } else if (target.is_array()) {
    if (value.is_array()) {
      target = value;
    } else {
      fail("a list");
    }
  } else if (target.is_object()) {
    if (!value.is_object()) {
      fail("a map");
      return;
    }
    std::vector<std::string> keys;
    for (const auto& [k, v] : target.items()) keys.push_back(k);
    for (const auto& [k, v] : value.items()) {
      if (!target.contains(k)) {
        errors.push_back(origin + ": unknown key '" + k + "' in " + path +
                         ValidChoicesHint(k, keys));
        continue;
      }
      Conform(target[k], v, path + "." + k, origin, errors);
    }
  }
}

// An environment variable's text as a value: JSON when it is JSON (numbers,
// true/false, maps, lists, quoted strings), else the text itself.
Json EnvValue(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  return parsed.is_discarded() ? Json(text) : parsed;
}

}  // namespace

std::string WorkflowConfigEnvName(std::string_view workflow, std::string_view key) {
  return std::string(kWorkflowConfigEnvPrefix) + Upper(workflow) + "_" + Upper(key);
}

std::string WorkflowConfigOldEnvName(std::string_view workflow, std::string_view key) {
  return std::string(kWorkflowConfigOldEnvPrefix) + Upper(workflow) + "_" + Upper(key);
}

bool IsWorkflowConfigEnvName(std::string_view name) {
  return name.starts_with(kWorkflowConfigEnvPrefix) ||
         name.starts_with(kWorkflowConfigOldEnvPrefix);
}

std::vector<std::string> WorkflowConfigEnvWarnings(const WorkflowConfigOverrides& overrides) {
  std::vector<std::string> warnings;
  for (const auto& [name, text] : overrides.env) {
    if (!name.starts_with(kWorkflowConfigOldEnvPrefix)) continue;
    const std::string current =
        std::string(kWorkflowConfigEnvPrefix) + name.substr(kWorkflowConfigOldEnvPrefix.size());
    if (overrides.env.count(current) == 0) continue;
    warnings.push_back("environment " + name + " and " + current + " are both set: " + current +
                       " is used (" + std::string(kWorkflowConfigOldEnvPrefix) +
                       "* is the older spelling); unset " + name);
  }
  return warnings;
}

Result<Json> ApplyWorkflowConfig(const workflow::Workflow& workflow,
                                 const WorkflowConfigOverrides& overrides, bool strict,
                                 std::set<std::string>* used_env) {
  Json config = workflow.config.is_object() ? workflow.config : Json::object();
  std::vector<std::string> keys;
  for (const auto& [k, v] : config.items()) keys.push_back(k);
  std::vector<std::string> errors;
  const std::string prefix = "workflows." + workflow.name;

  auto apply = [&](const std::string& key, const Json& value, const std::string& origin) {
    std::vector<std::string> problems;
    if (!config.contains(key)) {
      problems.push_back(origin + ": unknown key '" + key + "' in " + prefix +
                         (keys.empty() ? std::string(" (the workflow declares no config)")
                                       : ValidChoicesHint(key, keys)));
    } else {
      Json merged = config[key];
      Conform(merged, value, prefix + "." + key, origin, problems);
      if (problems.empty()) config[key] = std::move(merged);
    }
    if (strict) errors.insert(errors.end(), problems.begin(), problems.end());
  };

  if (auto it = overrides.file.find(workflow.name); it != overrides.file.end()) {
    for (const auto& [key, entry] : it->second) apply(key, entry.value, entry.origin);
  }
  // The environment wins over the file: applied last. Of the two spellings of a
  // variable, the current one wins; the older one counts as used either way.
  for (const std::string& key : keys) {
    const std::string name = WorkflowConfigEnvName(workflow.name, key);
    const std::string old_name = WorkflowConfigOldEnvName(workflow.name, key);
    auto it = overrides.env.find(name);
    auto old_it = overrides.env.find(old_name);
    if (used_env != nullptr) {
      if (it != overrides.env.end()) used_env->insert(name);
      if (old_it != overrides.env.end()) used_env->insert(old_name);
    }
    if (it != overrides.env.end()) {
      apply(key, EnvValue(it->second), "environment " + name);
    } else if (old_it != overrides.env.end()) {
      apply(key, EnvValue(old_it->second), "environment " + old_name);
    }
  }
  if (!errors.empty()) {
    std::string message = "invalid configuration of workflow '" + workflow.name + "':";
    for (const std::string& e : errors) message += "\n  " + e;
    return InvalidArgument(std::move(message));
  }
  return config;
}

std::vector<std::string> UnusedWorkflowConfig(
    const WorkflowConfigOverrides& overrides,
    const std::vector<std::shared_ptr<const workflow::Workflow>>& loaded,
    const std::set<std::string>& used_env) {
  std::vector<std::string> names;
  std::vector<std::string> known_env;
  std::vector<std::string> known_old_env;
  for (const auto& wf : loaded) {
    names.push_back(wf->name);
    if (!wf->config.is_object()) continue;
    for (const auto& [key, value] : wf->config.items()) {
      known_env.push_back(WorkflowConfigEnvName(wf->name, key));
      known_old_env.push_back(WorkflowConfigOldEnvName(wf->name, key));
    }
  }
  std::vector<std::string> problems;
  for (const auto& [name, values] : overrides.file) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    auto origin = overrides.file_origins.find(name);
    problems.push_back((origin != overrides.file_origins.end() ? origin->second + ": " : "") +
                       "workflows." + name + ": no workflow named '" + name + "' is loaded" +
                       ValidChoicesHint(name, names, "loaded workflows"));
  }
  for (const auto& [name, text] : overrides.env) {
    if (used_env.count(name) != 0) continue;
    const auto& known = name.starts_with(kWorkflowConfigOldEnvPrefix) ? known_old_env : known_env;
    problems.push_back("environment " + name + ": names no config key of a loaded workflow" +
                       (known.empty() ? std::string(" (no loaded workflow has a config)")
                                      : ValidChoicesHint(name, known, "known variables")));
  }
  return problems;
}

}  // namespace storeflow::runtime
