// The engine config keys of plugins and secrets (plugins.dirs, plugins.config,
// secrets.file) and the helper that sets plugins up for the commands.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "app/engine_config.h"
#include "app/plugin_setup.h"
#include "workflow/loader.h"

namespace storeflow::app {
namespace {

class PluginConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("storeflow-plugin-config-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::random_device()()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<EngineConfig> Load(const std::string& yaml) {
    const std::string path = file();
    std::ofstream(path) << yaml;
    ConfigSources s;
    s.file = path;
    s.getenv = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    return LoadEngineConfig(s);
  }
  std::string file() const { return (dir_ / "storeflow.yaml").string(); }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(PluginConfigTest, DirsAsAListOrCommaSeparated) {
  auto list = Load("plugins:\n  dirs: [/a, /b]\n");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->plugins.dirs, (std::vector<std::string>{"/a", "/b"}));
  auto text = Load("plugins:\n  dirs: /c , /d\n");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->plugins.dirs, (std::vector<std::string>{"/c", "/d"}));
  env_["STOREFLOW_PLUGINS_DIRS"] = "/e";
  EXPECT_EQ(Load("")->plugins.dirs, (std::vector<std::string>{"/e"}));
}

TEST_F(PluginConfigTest, TheDefaultFolderIsBesideTheExecutable) {
  auto config = Load("");
  ASSERT_TRUE(config.ok());
  const auto dirs = PluginDirs(*config);
  ASSERT_EQ(dirs.size(), 1u);
  const auto exe = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(dirs[0], (exe.parent_path().parent_path() / "plugins").lexically_normal());
}

TEST_F(PluginConfigTest, PluginConfigsKeepWhereEachKeyWasWritten) {
  auto config = Load(
      "plugins:\n"
      "  config:\n"
      "    email:\n"
      "      transport: smtp\n"
      "      smtp:\n"
      "        port: 25\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->plugins.configs.at("email"),
            nlohmann::json({{"transport", "smtp"}, {"smtp", {{"port", 25}}}}));
  const auto& at = config->plugins.config_locations.at("email");
  EXPECT_EQ(at.at(""), file() + ":3:5");
  EXPECT_EQ(at.at("/transport"), file() + ":4:7");
  EXPECT_EQ(at.at("/smtp/port"), file() + ":6:9");
}

TEST_F(PluginConfigTest, PluginConfigMustBeMaps) {
  auto config = Load("plugins:\n  config:\n    email: 5\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(file() + ":3:12: plugins.config.email must be a map"),
            std::string::npos)
      << config.status().message();
  env_["STOREFLOW_PLUGINS_CONFIG"] = R"({"email": {"transport": "outbox"}})";
  auto from_env = Load("");
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->plugins.configs.at("email")["transport"], "outbox");
}

TEST_F(PluginConfigTest, SecretsFile) {
  auto config = Load("secrets:\n  file: /etc/storeflow/secrets.yaml\n");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->secrets_file, "/etc/storeflow/secrets.yaml");
  EXPECT_FALSE(Load("")->secrets_file.has_value());
  auto typo = Load("secrets:\n  fiel: x\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("unknown key 'fiel' in 'secrets' (valid keys: file); did "
                                         "you mean 'file'?"),
            std::string::npos)
      << typo.status().message();
}

TEST_F(PluginConfigTest, SetupRegistersBuiltinsAndChecksActions) {
  auto config = Load("plugins:\n  dirs: [" + (dir_ / "none").string() + "]\n");
  ASSERT_TRUE(config.ok());
  runtime::ActionRegistry actions;
  auto setup = SetUpPlugins(*config, actions, PluginSetupOptions{nullptr, nullptr, {}, false});
  ASSERT_TRUE(setup.ok()) << setup.status().ToString();
  EXPECT_NE(actions.Find("store.put"), nullptr);
  EXPECT_EQ((*setup)->host->warnings().size(), 1u);

  workflow::ValidateOptions options;
  options.check_rules = false;
  options.check_action = (*setup)->action_check();
  auto loaded = workflow::LoadWorkflowFromString(
      "workflow: w\non: [{event: go}]\nsteps:\n"
      "  - id: a\n    uses: store.pt\n"
      "  - id: b\n    uses: lg\n"
      "  - id: c\n    uses: shopify.cart\n",
      "w.yaml", options);
  ASSERT_FALSE(loaded.ok());
  const auto& items = loaded.diagnostics().items();
  ASSERT_EQ(items.size(), 3u) << loaded.diagnostics().ToString();
  EXPECT_EQ(items[0].ToString().rfind("w.yaml:5:5: error: unknown action 'store.pt' (known "
                                      "actions: ",
                                      0),
            0u)
      << items[0].ToString();
  EXPECT_NE(items[0].message.find("did you mean 'store.put'?"), std::string::npos);
  EXPECT_EQ(items[1].ToString().rfind("w.yaml:7:5: error: unknown action 'lg'", 0), 0u)
      << items[1].ToString();
  EXPECT_EQ(items[2].severity, workflow::Severity::kWarning);
  EXPECT_EQ(items[2].message.rfind("action 'shopify.cart' of step 'c': no plugin 'shopify' is "
                                   "installed (plugin folders: " +
                                       (dir_ / "none").string() + ")",
                                   0),
            0u)
      << items[2].message;
}

TEST_F(PluginConfigTest, WithKeysAreCheckedAgainstTheInputSchema) {
  auto config = Load("plugins:\n  dirs: [" + (dir_ / "none").string() + "]\n");
  ASSERT_TRUE(config.ok());
  runtime::ActionRegistry actions;
  auto setup = SetUpPlugins(*config, actions, PluginSetupOptions{nullptr, nullptr, {}, false});
  ASSERT_TRUE(setup.ok());
  workflow::ValidateOptions options;
  options.check_rules = false;
  options.check_action = (*setup)->action_check();
  // store.put needs collection and key; templated values count as given.
  auto loaded = workflow::LoadWorkflowFromString(
      "workflow: w\non: [{event: go}]\nsteps:\n"
      "  - id: a\n    uses: store.put\n    with: { collection: c, value: 1 }\n"
      "  - id: b\n    uses: store.get\n    with: { collection: c, key: \"${{ event.k }}\" }\n",
      "w.yaml", options);
  ASSERT_FALSE(loaded.ok());
  ASSERT_EQ(loaded.diagnostics().items().size(), 1u) << loaded.diagnostics().ToString();
  EXPECT_EQ(loaded.diagnostics().items()[0].ToString(),
            "w.yaml:5:5: error: action 'store.put' needs the input 'key' in with: (required: "
            "collection, key)");
}

}  // namespace
}  // namespace storeflow::app
