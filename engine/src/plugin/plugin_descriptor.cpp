#include "plugin/plugin_descriptor.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/did_you_mean.h"

namespace storeflow::plugin {
namespace {

std::string Where(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// "1.0" -> (1, 0).
bool ParseAbi(const std::string& text, std::uint32_t& major, std::uint32_t& minor) {
  const auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= text.size()) return false;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [m, ec1] = std::from_chars(begin, begin + dot, major);
  auto [n, ec2] = std::from_chars(begin + dot + 1, end, minor);
  return ec1 == std::errc() && m == begin + dot && ec2 == std::errc() && n == end;
}

}  // namespace

bool IsValidPluginName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Result<PluginDescriptor> ReadPluginDescriptor(const std::filesystem::path& file) {
  const std::string path = file.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return NotFound(path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    return InvalidArgument(Where(path, e.mark) + ": " + e.msg);
  }
  if (!root.IsMap()) {
    return InvalidArgument(Where(path, root.Mark()) +
                           ": plugin.yaml is a map with name, version, abi, description, library");
  }
  static const std::vector<std::string> kKeys = {"name", "version", "abi", "description",
                                                 "library"};
  PluginDescriptor d;
  d.file = file;
  d.dir = file.parent_path();
  std::vector<std::string> errors;
  bool has_abi = false;
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      errors.push_back(Where(path, entry.first.Mark()) + ": unknown key '" + key + "'" +
                       ValidChoicesHint(key, kKeys));
      continue;
    }
    if (!entry.second.IsScalar()) {
      errors.push_back(Where(path, entry.second.Mark()) + ": '" + key + "' must be text");
      continue;
    }
    const std::string value = entry.second.Scalar();
    if (key == "name") {
      if (!IsValidPluginName(value)) {
        errors.push_back(Where(path, entry.second.Mark()) + ": name '" + value +
                         "' must match [a-z][a-z0-9_]* (at most 64 characters)");
      }
      d.name = value;
    } else if (key == "version") {
      d.version = value;
    } else if (key == "abi") {
      has_abi = true;
      if (!ParseAbi(value, d.abi_major, d.abi_minor)) {
        errors.push_back(Where(path, entry.second.Mark()) + ": abi '" + value +
                         "' must be MAJOR.MINOR, e.g. \"1.0\"");
      }
    } else if (key == "description") {
      d.description = value;
    } else if (key == "library") {
      if (value.empty() || value.find('/') != std::string::npos || value == "." || value == "..") {
        errors.push_back(Where(path, entry.second.Mark()) +
                         ": library must be a file name in the plugin's folder");
      }
      d.library = value;
    }
  }
  const std::string top = Where(path, root.Mark());
  if (!static_cast<const YAML::Node&>(root)["name"]) errors.push_back(top + ": 'name' is required");
  if (d.version.empty()) errors.push_back(top + ": 'version' is required");
  if (!has_abi) errors.push_back(top + ": 'abi' is required (e.g. abi: \"1.0\")");
  if (!errors.empty()) {
    std::string message = errors.front();
    for (std::size_t i = 1; i < errors.size(); ++i) message += "\n" + errors[i];
    return InvalidArgument(std::move(message));
  }
  if (d.library.empty()) d.library = "libstoreflow_" + d.name + ".so";
  return d;
}

}  // namespace storeflow::plugin
