#pragma once

// Loading a plugin's shared library and checking it against this host's ABI
// before any of its functions (other than the entry point) runs.

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "plugin/plugin_descriptor.h"
#include "plugin/plugin_manifest.h"
#include "storeflow/plugin.h"

namespace Poco {
class SharedLibrary;
}  // namespace Poco

namespace storeflow::plugin {

// The size of storeflow_plugin_table_v1 in ABI 1.0: a plugin's table must be at
// least this big.
inline constexpr std::uint32_t kTableSizeV1_0 = STOREFLOW_TABLE_V1_0_SIZE;

// PermissionDenied when `path` (a plugin folder or file) may be written by group
// or others: anyone who can write there could run code inside the engine.
Status CheckNotWritableByOthers(const std::filesystem::path& path, const std::string& what);

class PluginLibrary {
 public:
  // Checks the folder and file permissions and the ABI declared in plugin.yaml,
  // loads the library (RTLD_LOCAL), finds the entry symbol and checks the table:
  // ABI major equal to the host's, minor not newer, struct_size at least
  // v1.0's, name and version equal to plugin.yaml's, the callbacks present and
  // the manifest valid. Each refusal names the file and the expected and found
  // values. The library stays mapped for the life of the process.
  static Result<std::shared_ptr<PluginLibrary>> Load(const PluginDescriptor& descriptor);

  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const PluginDescriptor& descriptor() const { return descriptor_; }
  const storeflow_plugin_table_v1& table() const { return *table_; }
  // ABI 1.3: start_source when the table has it (NULL for an older plugin, or one
  // without sources).
  decltype(storeflow_plugin_table_v1::start_source) start_source() const;
  const PluginManifest& manifest() const { return manifest_; }
  std::string path() const { return descriptor_.library_path().string(); }
  std::string abi() const;  // "1.0", as the plugin was built

 private:
  PluginLibrary() = default;

  PluginDescriptor descriptor_;
  std::unique_ptr<Poco::SharedLibrary> library_;
  const storeflow_plugin_table_v1* table_ = nullptr;
  PluginManifest manifest_;
};

}  // namespace storeflow::plugin
