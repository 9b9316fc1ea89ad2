#pragma once

// Where an installed storeflow keeps its files, found from the executable's own
// path so that an installation can live under any prefix (`cmake --install
// --prefix DIR`, the .deb under /usr): <prefix>/bin/storeflow, the plugins in
// <prefix>/lib/storeflow/plugins, the workflows and scripts in
// <prefix>/share/storeflow, the configuration in <prefix>/etc/storeflow and the
// state in <prefix>/var/lib/storeflow, except that the /usr prefix uses /etc and
// /var (as GNUInstallDirs does). docs/install.md.

#include <filesystem>
#include <optional>

namespace storeflow::app {

struct InstallLayout {
  std::filesystem::path prefix;
  std::filesystem::path plugin_dir;   // <prefix>/lib/storeflow/plugins
  std::filesystem::path data_dir;     // <prefix>/share/storeflow
  std::filesystem::path config_file;  // <sysconfdir>/storeflow/storeflow.yaml
  std::filesystem::path state_dir;    // <localstatedir>/lib/storeflow
};

// The layout of an installation whose executable is `exe` (<prefix>/bin/storeflow).
InstallLayout LayoutOf(const std::filesystem::path& exe);

// This process's executable (/proc/self/exe); nullopt when it cannot be read.
std::optional<std::filesystem::path> ThisExecutable();

}  // namespace storeflow::app
