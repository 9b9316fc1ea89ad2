#pragma once

// plugin.yaml: what the host reads about a plugin BEFORE loading any of its code.
//
//   name: example            # [a-z][a-z0-9_]*; its actions are example.*
//   version: 1.0.0
//   abi: "1.0"               # the plugin ABI it was built for (major.minor)
//   description: ...
//   library: libstoreflow_example.so   # default: libstoreflow_<name>.so

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"

namespace storeflow::plugin {

struct PluginDescriptor {
  std::filesystem::path file;  // the plugin.yaml
  std::filesystem::path dir;   // its folder
  std::string name;
  std::string version;
  std::uint32_t abi_major = 0;
  std::uint32_t abi_minor = 0;
  std::string description;
  std::string library;  // file name, in dir

  std::filesystem::path library_path() const { return dir / library; }
};

// Reads `file`. Errors are "file:line:col: message"; an unknown key names the
// valid ones (with a did-you-mean).
Result<PluginDescriptor> ReadPluginDescriptor(const std::filesystem::path& file);

// True for a valid plugin name: [a-z][a-z0-9_]*, at most 64 characters.
bool IsValidPluginName(const std::string& name);

}  // namespace storeflow::plugin
