#include "plugin/plugin_library.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <Poco/Exception.h>
#include <Poco/SharedLibrary.h>

namespace storeflow::plugin {
namespace {

std::string Abi(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

const std::string kHostAbi = Abi(STOREFLOW_PLUGIN_ABI_MAJOR, STOREFLOW_PLUGIN_ABI_MINOR);

std::string OctalMode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode & 07777u);
  return text;
}

// The ABI a plugin declares (plugin.yaml or its table) against this host's.
Status CheckAbi(std::uint32_t major, std::uint32_t minor, const std::string& file,
                const std::string& where) {
  if (major != STOREFLOW_PLUGIN_ABI_MAJOR) {
    return FailedPrecondition(file + ": built for plugin ABI " + Abi(major, minor) + " (" + where +
                              "), but this storeflow speaks ABI " + kHostAbi +
                              ": the major version must be " +
                              std::to_string(STOREFLOW_PLUGIN_ABI_MAJOR) +
                              "; rebuild the plugin against this storeflow's plugin.h");
  }
  if (minor > STOREFLOW_PLUGIN_ABI_MINOR) {
    return FailedPrecondition(file + ": built for plugin ABI " + Abi(major, minor) + " (" + where +
                              "), newer than this storeflow's ABI " + kHostAbi +
                              ": expected minor <= " + std::to_string(STOREFLOW_PLUGIN_ABI_MINOR) +
                              "; upgrade storeflow or use an older build of the plugin");
  }
  return Status::Ok();
}

}  // namespace

Status CheckNotWritableByOthers(const std::filesystem::path& path, const std::string& what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return NotFound(what + " " + path.string() + " cannot be read: " + std::strerror(errno));
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return PermissionDenied(what + " " + path.string() + " is writable by group or others (mode " +
                            OctalMode(info.st_mode) +
                            ", expected no group/other write bit); "
                            "refusing to load code from it: run `chmod go-w " +
                            path.string() + "`");
  }
  return Status::Ok();
}

PluginLibrary::~PluginLibrary() = default;

decltype(storeflow_plugin_table_v1::start_source) PluginLibrary::start_source() const {
  if (table_ == nullptr || table_->struct_size < STOREFLOW_TABLE_V1_3_SIZE) return nullptr;
  return table_->start_source;
}

std::string PluginLibrary::abi() const {
  return table_ == nullptr ? "" : Abi(table_->abi_major, table_->abi_minor);
}

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::Load(const PluginDescriptor& descriptor) {
  const std::filesystem::path file = descriptor.library_path();
  const std::string name = file.string();
  STOREFLOW_RETURN_IF_ERROR(CheckNotWritableByOthers(descriptor.dir, "plugin folder"));
  STOREFLOW_RETURN_IF_ERROR(CheckNotWritableByOthers(descriptor.file, "plugin file"));
  STOREFLOW_RETURN_IF_ERROR(CheckAbi(descriptor.abi_major, descriptor.abi_minor,
                                     descriptor.file.string(), "abi in plugin.yaml"));
  STOREFLOW_RETURN_IF_ERROR(CheckNotWritableByOthers(file, "plugin library"));

  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->descriptor_ = descriptor;
  lib->library_ = std::make_unique<Poco::SharedLibrary>();
  void* symbol = nullptr;
  try {
    lib->library_->load(name, Poco::SharedLibrary::SHLIB_LOCAL);
    if (!lib->library_->hasSymbol(STOREFLOW_PLUGIN_ENTRY_NAME)) {
      return FailedPrecondition(name + ": missing entry symbol '" STOREFLOW_PLUGIN_ENTRY_NAME
                                       "' (expected a function exported with STOREFLOW_PLUGIN or "
                                       "STOREFLOW_PLUGIN_EXPORT; found none)");
    }
    symbol = lib->library_->getSymbol(STOREFLOW_PLUGIN_ENTRY_NAME);
  } catch (const Poco::Exception& e) {
    return FailedPrecondition(name + ": cannot load the library: " + e.displayText());
  }
  const storeflow_plugin_table_v1* table = nullptr;
  try {
    table = reinterpret_cast<storeflow_plugin_entry_fn>(symbol)();
  } catch (...) {
    return FailedPrecondition(name + ": " STOREFLOW_PLUGIN_ENTRY_NAME "() threw an exception");
  }
  if (table == nullptr) {
    return FailedPrecondition(name + ": " STOREFLOW_PLUGIN_ENTRY_NAME "() returned no table");
  }
  // struct_size, abi_major and abi_minor are at the same place in every version.
  STOREFLOW_RETURN_IF_ERROR(CheckAbi(table->abi_major, table->abi_minor, name, "its table"));
  if (table->struct_size < kTableSizeV1_0) {
    return FailedPrecondition(name + ": its plugin table has struct_size " +
                              std::to_string(table->struct_size) + ", smaller than ABI 1.0's " +
                              std::to_string(kTableSizeV1_0) +
                              " bytes: the plugin was built against a broken plugin.h");
  }
  const std::string table_name = table->name != nullptr ? table->name : "";
  const std::string table_version = table->version != nullptr ? table->version : "";
  if (table_name != descriptor.name) {
    return FailedPrecondition(name + ": the library says its name is '" + table_name + "' but " +
                              descriptor.file.string() + " says '" + descriptor.name + "'");
  }
  if (table_version != descriptor.version) {
    return FailedPrecondition(name + ": the library says its version is '" + table_version +
                              "' but " + descriptor.file.string() + " says '" + descriptor.version +
                              "'");
  }
  if (table->init == nullptr || table->invoke == nullptr || table->shutdown == nullptr) {
    return FailedPrecondition(name + ": its plugin table lacks init, invoke or shutdown");
  }
  if (table->manifest_json == nullptr) {
    return FailedPrecondition(name + ": its plugin table has no manifest_json");
  }
  auto manifest = ParseManifest(table->manifest_json, descriptor.name, name);
  if (!manifest.ok()) return manifest.status();
  lib->table_ = table;
  lib->manifest_ = std::move(manifest).value();
  return lib;
}

}  // namespace storeflow::plugin
