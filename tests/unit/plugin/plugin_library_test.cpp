// Every refusal of a plugin library names the file and the expected and found
// values (fixtures: tests/fixtures/plugins).

#include "plugin/plugin_library.h"

#include "plugin_test_util.h"

namespace storeflow::plugin::testing {
namespace {

Status LoadStatus(const fs::path& yaml) {
  auto d = ReadPluginDescriptor(yaml);
  if (!d.ok()) return d.status();
  auto lib = PluginLibrary::Load(*d);
  return lib.status();
}

std::string Lib(const std::string& fixture) {
  return (FixtureDir(fixture) / ("libstoreflow_fx_" + fixture + ".so")).string();
}

TEST(PluginLibraryTest, AGoodPluginLoadsWithItsManifest) {
  auto d = ReadPluginDescriptor(FixtureYaml("testkit"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto lib = PluginLibrary::Load(*d);
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  EXPECT_EQ((*lib)->abi(), "1." + std::to_string(STOREFLOW_PLUGIN_ABI_MINOR));
  EXPECT_EQ((*lib)->table().struct_size, sizeof(storeflow_plugin_table_v1));
  ASSERT_FALSE((*lib)->manifest().actions.empty());
  EXPECT_EQ((*lib)->manifest().actions[0].name, "testkit.echo");
  EXPECT_TRUE((*lib)->manifest().config_schema.is_object());
}

TEST(PluginLibraryTest, RefusesAnotherAbiMajor) {
  Status s = LoadStatus(FixtureYaml("abi_major"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), Lib("abi_major") +
                             ": built for plugin ABI 2.0 (its table), but this storeflow speaks "
                             "ABI 1.3: the major version must be 1; rebuild the plugin against "
                             "this storeflow's plugin.h");
}

TEST(PluginLibraryTest, RefusesANewerAbiMinor) {
  Status s = LoadStatus(FixtureYaml("abi_minor"));
  EXPECT_EQ(s.message(), Lib("abi_minor") +
                             ": built for plugin ABI 1.7 (its table), newer than this "
                             "storeflow's ABI 1.3: expected minor <= 3; upgrade storeflow or use "
                             "an older build of the plugin");
}

// ABI 1.1 appended rate_adjust to the host table: a plugin built for 1.0 loads.
TEST(PluginLibraryTest, AnOlderAbiMinorStillLoads) {
  auto d = ReadPluginDescriptor(FixtureYaml("abi_v1_0"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto lib = PluginLibrary::Load(*d);
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  EXPECT_EQ((*lib)->abi(), "1.0");
  EXPECT_EQ((*lib)->manifest().actions.at(0).name, "abi_v1_0.act");
}

// ABI 1.2 appended source_topics and public_url: a plugin built for 1.1 loads.
TEST(PluginLibraryTest, AnAbi11PluginStillLoadsOnThisHost) {
  auto d = ReadPluginDescriptor(FixtureYaml("abi_v1_1"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto lib = PluginLibrary::Load(*d);
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  EXPECT_EQ((*lib)->abi(), "1.1");
  EXPECT_EQ((*lib)->manifest().actions.at(0).name, "abi_v1_1.act");
}

TEST(PluginLibraryTest, RefusesATableSmallerThanV1_0) {
  Status s = LoadStatus(FixtureYaml("small_struct"));
  EXPECT_EQ(s.message(), Lib("small_struct") +
                             ": its plugin table has struct_size 16, smaller "
                             "than ABI 1.0's " +
                             std::to_string(kTableSizeV1_0) +
                             " bytes: the plugin was built against a broken plugin.h");
}

TEST(PluginLibraryTest, RefusesAMissingEntrySymbol) {
  Status s = LoadStatus(FixtureYaml("no_entry"));
  EXPECT_EQ(s.message(), Lib("no_entry") +
                             ": missing entry symbol 'storeflow_plugin_v1' (expected a function "
                             "exported with STOREFLOW_PLUGIN or STOREFLOW_PLUGIN_EXPORT; found "
                             "none)");
}

TEST(PluginLibraryTest, RefusesManifestJsonThatDoesNotParseWithItsPosition) {
  Status s = LoadStatus(FixtureYaml("bad_manifest"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      s.message().rfind(Lib("bad_manifest") + ": manifest: not valid JSON at line 3, column ", 0),
      0u)
      << s.message();
}

TEST(PluginLibraryTest, RefusesActionsNotPrefixedWithThePluginName) {
  Status s = LoadStatus(FixtureYaml("bad_prefix"));
  EXPECT_EQ(s.message(), Lib("bad_prefix") +
                             ": manifest: actions[0]: action 'other.act' must be named "
                             "'bad_prefix.<action>' (expected prefix 'bad_prefix.')");
}

TEST(PluginLibraryTest, RefusesANameDifferentFromPluginYaml) {
  Status s = LoadStatus(FixtureYaml("name_mismatch"));
  EXPECT_EQ(s.message(), Lib("name_mismatch") + ": the library says its name is 'other_name' but " +
                             FixtureYaml("name_mismatch").string() + " says 'expected_name'");
}

TEST(PluginLibraryTest, RefusesAVersionDifferentFromPluginYaml) {
  TempDir tmp;
  const fs::path dir = tmp.CopyPlugin(FixtureDir("testkit"), "testkit");
  WriteText(dir / "plugin.yaml",
            "name: testkit\nversion: 9.9.9\nabi: \"1.0\"\nlibrary: libstoreflow_fx_testkit.so\n");
  Status s = LoadStatus(dir / "plugin.yaml");
  EXPECT_EQ(s.message(), (dir / "libstoreflow_fx_testkit.so").string() +
                             ": the library says its version is '0.1.0' but " +
                             (dir / "plugin.yaml").string() + " says '9.9.9'");
}

// plugin.yaml's abi is checked before any code of the plugin is loaded.
TEST(PluginLibraryTest, RefusesAPluginYamlAbiBeforeLoadingCode) {
  TempDir tmp;
  const fs::path dir = tmp.CopyPlugin(FixtureDir("testkit"), "testkit");
  WriteText(dir / "plugin.yaml",
            "name: testkit\nversion: 0.1.0\nabi: \"3.1\"\nlibrary: libstoreflow_fx_testkit.so\n");
  Status s = LoadStatus(dir / "plugin.yaml");
  EXPECT_EQ(s.message(), (dir / "plugin.yaml").string() +
                             ": built for plugin ABI 3.1 (abi in plugin.yaml), but this storeflow "
                             "speaks ABI 1.3: the major version must be 1; rebuild the plugin "
                             "against this storeflow's plugin.h");
  // Also when the library is not even there: the yaml alone decides.
  fs::remove(dir / "libstoreflow_fx_testkit.so");
  EXPECT_NE(LoadStatus(dir / "plugin.yaml").message().find("ABI 3.1"), std::string::npos);
}

TEST(PluginLibraryTest, RefusesAWorldWritablePluginFolder) {
  TempDir tmp;
  const fs::path dir = tmp.CopyPlugin(FixtureDir("testkit"), "testkit");
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  Status s = LoadStatus(dir / "plugin.yaml");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "plugin folder " + dir.string() +
                             " is writable by group or others (mode 0777, expected no group/other "
                             "write bit); refusing to load code from it: run `chmod go-w " +
                             dir.string() + "`");
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  EXPECT_TRUE(LoadStatus(dir / "plugin.yaml").ok());
}

TEST(PluginLibraryTest, RefusesAGroupWritableLibraryFile) {
  TempDir tmp;
  const fs::path dir = tmp.CopyPlugin(FixtureDir("testkit"), "testkit");
  const fs::path lib = dir / "libstoreflow_fx_testkit.so";
  ASSERT_EQ(::chmod(lib.c_str(), 0775), 0);
  Status s = LoadStatus(dir / "plugin.yaml");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("plugin library " + lib.string() +
                             " is writable by group or others (mode 0775"),
            std::string::npos)
      << s.message();
}

TEST(PluginLibraryTest, RefusesAMissingLibraryNamingIt) {
  TempDir tmp;
  const fs::path dir = tmp.CopyPlugin(FixtureDir("testkit"), "testkit");
  fs::remove(dir / "libstoreflow_fx_testkit.so");
  Status s = LoadStatus(dir / "plugin.yaml");
  EXPECT_NE(s.message().find((dir / "libstoreflow_fx_testkit.so").string()), std::string::npos)
      << s.message();
}

TEST(PluginManifestTest, ChecksFieldsAndSchemas) {
  EXPECT_NE(ParseManifest("[]", "p", "lib.so").status().message().find("expected a JSON object"),
            std::string::npos);
  EXPECT_EQ(ParseManifest("{}", "p", "lib.so").status().message(),
            "lib.so: manifest: 'actions' is required: a list of {name, description, "
            "input_schema}");
  EXPECT_EQ(ParseManifest(R"({"actions": [{"name": "p.a"}]})", "p", "lib.so").status().message(),
            "lib.so: manifest: action 'p.a': 'input_schema' (an object) is required");
  EXPECT_EQ(ParseManifest(R"({"actions": [{"name": "p.a", "input_schema": {}},
                                          {"name": "p.a", "input_schema": {}}]})",
                          "p", "lib.so")
                .status()
                .message(),
            "lib.so: manifest: action 'p.a' is listed twice");
  EXPECT_NE(ParseManifest(R"({"actions": [], "config_schema": {"type": 5}})", "p", "lib.so")
                .status()
                .message()
                .find("lib.so: manifest: config_schema: "),
            std::string::npos);
  auto ok =
      ParseManifest(R"({"actions": [{"name": "p.a", "input_schema": {}, "examples": [{"x": 1}]}]})",
                    "p", "lib.so");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->actions[0].examples.size(), 1u);
}

}  // namespace
}  // namespace storeflow::plugin::testing
