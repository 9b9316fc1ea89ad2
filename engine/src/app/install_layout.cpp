#include "app/install_layout.h"

#include <system_error>

#include "app/install_dirs.h"

namespace storeflow::app {

namespace fs = std::filesystem;

InstallLayout LayoutOf(const fs::path& exe) {
  InstallLayout layout;
  layout.prefix = exe.parent_path().parent_path().lexically_normal();
  const bool usr = layout.prefix == fs::path("/usr");
  const fs::path sysconf = usr ? fs::path("/etc") : layout.prefix / "etc";
  const fs::path localstate = usr ? fs::path("/var") : layout.prefix / "var";
  layout.plugin_dir = (layout.prefix / kInstallPluginDir).lexically_normal();
  layout.data_dir = (layout.prefix / kInstallDataDir / "storeflow").lexically_normal();
  layout.config_file = sysconf / "storeflow" / "storeflow.yaml";
  layout.state_dir = localstate / "lib" / "storeflow";
  return layout;
}

std::optional<fs::path> ThisExecutable() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return exe;
}

}  // namespace storeflow::app
