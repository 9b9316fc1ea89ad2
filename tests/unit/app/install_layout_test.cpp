// Where an installed storeflow finds its plugins and files, from its own path.

#include "app/install_layout.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "app/plugin_setup.h"

namespace storeflow::app {
namespace {

namespace fs = std::filesystem;

TEST(InstallLayoutTest, APrefixKeepsEverythingUnderIt) {
  const InstallLayout layout = LayoutOf("/opt/sf/bin/storeflow");
  EXPECT_EQ(layout.prefix, fs::path("/opt/sf"));
  EXPECT_EQ(layout.plugin_dir, fs::path("/opt/sf/lib/storeflow/plugins"));
  EXPECT_EQ(layout.data_dir, fs::path("/opt/sf/share/storeflow"));
  EXPECT_EQ(layout.config_file, fs::path("/opt/sf/etc/storeflow/storeflow.yaml"));
  EXPECT_EQ(layout.state_dir, fs::path("/opt/sf/var/lib/storeflow"));
}

TEST(InstallLayoutTest, TheUsrPrefixUsesEtcAndVar) {
  const InstallLayout layout = LayoutOf("/usr/bin/storeflow");
  EXPECT_EQ(layout.plugin_dir, fs::path("/usr/lib/storeflow/plugins"));
  EXPECT_EQ(layout.data_dir, fs::path("/usr/share/storeflow"));
  EXPECT_EQ(layout.config_file, fs::path("/etc/storeflow/storeflow.yaml"));
  EXPECT_EQ(layout.state_dir, fs::path("/var/lib/storeflow"));
}

class DefaultPluginDirsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("storeflow-layout-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(std::random_device()()));
    fs::create_directories(root_ / "bin");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(DefaultPluginDirsTest, ABuildTreeUsesThePluginsFolderBesideBin) {
  EXPECT_EQ(DefaultPluginDirs(root_ / "bin" / "storeflow"),
            (std::vector<fs::path>{root_ / "plugins"}));
}

TEST_F(DefaultPluginDirsTest, AnInstallationUsesItsLibFolder) {
  fs::create_directories(root_ / "lib" / "storeflow" / "plugins");
  EXPECT_EQ(DefaultPluginDirs(root_ / "bin" / "storeflow"),
            (std::vector<fs::path>{root_ / "lib" / "storeflow" / "plugins"}));
}

}  // namespace
}  // namespace storeflow::app
