#include "app/engine_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <yaml-cpp/yaml.h>

#include "common/byte_size.h"
#include "common/did_you_mean.h"
#include "common/duration.h"

namespace storeflow::app {
namespace {

// One configurable key: where it lives, its default, and how a text value applies.
struct ConfigKey {
  std::string section;
  std::string name;
  std::string default_value;
  std::string description;
  std::function<Status(EngineConfig&, const std::string&)> apply;

  std::string path() const { return section + "." + name; }
  std::string env() const {
    std::string e = "STOREFLOW_" + section + "_" + name;
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) {
      return c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(c));
    });
    return e;
  }
};

Status ApplyUnsigned(const std::string& text, std::uint64_t& out) {
  std::uint64_t value = 0;
  if (text.empty()) return InvalidArgument("expected a whole number, got an empty value");
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return InvalidArgument("expected a whole number, got \"" + text + "\"");
    }
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(c - '0')) / 10) {
      return InvalidArgument("number too large: " + text);
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = value;
  return Status::Ok();
}

const std::vector<ConfigKey>& Keys() {
  static const std::vector<ConfigKey> keys = {
      {"lua", "time_limit", "250ms",
       "wall-clock budget of one Lua call (expression or rule); exceeding it fails the call",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         if (d->count() <= 0) return InvalidArgument("time_limit must be greater than 0");
         c.lua.time_per_call = *d;
         return Status::Ok();
       }},
      {"lua", "instruction_limit", "0",
       "Lua VM instructions per call; 0 means no instruction cap (the time limit still "
       "applies); a cap makes every call about 30% slower",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyUnsigned(v, c.lua.instructions_per_call);
       }},
      {"lua", "memory_limit", "64MiB", "bytes one Lua state may hold (per worker thread)",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto bytes = ParseByteSize(v);
         if (!bytes.ok()) return bytes.status();
         if (*bytes < 256 * 1024) return InvalidArgument("memory_limit must be at least 256KiB");
         c.lua.memory_bytes = static_cast<std::size_t>(*bytes);
         return Status::Ok();
       }},
  };
  return keys;
}

std::string Where(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// Applies a YAML file's values; every problem is collected, not only the first.
void ApplyFile(const std::string& file, EngineConfig& config, std::vector<std::string>& errors) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    errors.push_back(file + ": cannot read the file");
    return;
  } catch (const YAML::Exception& e) {
    errors.push_back(Where(file, e.mark) + ": " + e.msg);
    return;
  }
  if (root.IsNull()) return;  // an empty file keeps the defaults
  if (!root.IsMap()) {
    errors.push_back(Where(file, root.Mark()) + ": expected a mapping of sections (e.g. lua:)");
    return;
  }
  std::vector<std::string> sections;
  for (const ConfigKey& k : Keys()) {
    if (std::find(sections.begin(), sections.end(), k.section) == sections.end()) {
      sections.push_back(k.section);
    }
  }
  for (const auto& section : root) {
    std::string section_name = section.first.as<std::string>();
    if (std::find(sections.begin(), sections.end(), section_name) == sections.end()) {
      errors.push_back(Where(file, section.first.Mark()) + ": unknown section '" + section_name +
                       "'" + ValidChoicesHint(section_name, sections, "valid sections"));
      continue;
    }
    if (section.second.IsNull()) continue;
    if (!section.second.IsMap()) {
      errors.push_back(Where(file, section.second.Mark()) + ": '" + section_name +
                       "' must be a mapping of keys");
      continue;
    }
    std::vector<std::string> names;
    for (const ConfigKey& k : Keys()) {
      if (k.section == section_name) names.push_back(k.name);
    }
    for (const auto& entry : section.second) {
      std::string name = entry.first.as<std::string>();
      auto key = std::find_if(Keys().begin(), Keys().end(), [&](const ConfigKey& k) {
        return k.section == section_name && k.name == name;
      });
      if (key == Keys().end()) {
        errors.push_back(Where(file, entry.first.Mark()) + ": unknown key '" + name + "' in '" +
                         section_name + "'" + ValidChoicesHint(name, names));
        continue;
      }
      if (!entry.second.IsScalar()) {
        errors.push_back(Where(file, entry.second.Mark()) + ": " + key->path() +
                         " must be a single value");
        continue;
      }
      Status s = key->apply(config, entry.second.Scalar());
      if (!s.ok())
        errors.push_back(Where(file, entry.second.Mark()) + ": " + key->path() + ": " +
                         s.message());
    }
  }
}

}  // namespace

Result<EngineConfig> LoadEngineConfig(const ConfigSources& sources) {
  auto getenv = sources.getenv ? sources.getenv : [](const char* n) { return std::getenv(n); };
  EngineConfig config;
  std::vector<std::string> errors;
  for (const ConfigKey& k : Keys()) {
    Status s = k.apply(config, k.default_value);
    if (!s.ok()) return Internal("built-in default of " + k.path() + ": " + s.message());
  }
  config.sources.emplace_back("built-in defaults");

  std::optional<std::string> file = sources.file;
  if (!file) {
    if (const char* env_file = getenv("STOREFLOW_CONFIG"); env_file && *env_file) {
      file = env_file;
    } else if (std::filesystem::exists("config/storeflow.yaml")) {
      file = "config/storeflow.yaml";
    }
  }
  if (file) {
    if (!std::filesystem::exists(*file)) {
      return NotFound("configuration file " + *file + " does not exist");
    }
    ApplyFile(*file, config, errors);
    config.sources.push_back(*file);
  }

  bool any_env = false;
  for (const ConfigKey& k : Keys()) {
    std::string env = k.env();
    const char* value = getenv(env.c_str());
    if (value == nullptr) continue;
    Status s = k.apply(config, value);
    if (!s.ok()) errors.push_back("environment " + env + ": " + s.message());
    any_env = true;
  }
  if (any_env) config.sources.emplace_back("environment");

  if (!errors.empty()) {
    std::string message = "invalid configuration:";
    for (const std::string& e : errors) message += "\n  " + e;
    return InvalidArgument(std::move(message));
  }
  return config;
}

std::vector<ConfigKeyInfo> DescribeConfigKeys() {
  std::vector<ConfigKeyInfo> out;
  for (const ConfigKey& k : Keys()) {
    out.push_back({k.path(), k.env(), k.default_value, k.description});
  }
  return out;
}

}  // namespace storeflow::app
