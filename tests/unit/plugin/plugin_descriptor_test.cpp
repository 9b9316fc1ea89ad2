// plugin.yaml: read before any code of the plugin is loaded.

#include "plugin/plugin_descriptor.h"

#include "plugin_test_util.h"

namespace storeflow::plugin::testing {
namespace {

Result<PluginDescriptor> Read(TempDir& dir, const std::string& yaml) {
  const fs::path file = dir.path() / "plugin.yaml";
  WriteText(file, yaml);
  return ReadPluginDescriptor(file);
}

TEST(PluginDescriptorTest, ReadsEveryField) {
  TempDir dir;
  auto d = Read(dir,
                "name: mailer\nversion: 2.1.0\nabi: \"1.0\"\ndescription: sends mail\n"
                "library: libmail.so\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->name, "mailer");
  EXPECT_EQ(d->version, "2.1.0");
  EXPECT_EQ(d->abi_major, 1u);
  EXPECT_EQ(d->abi_minor, 0u);
  EXPECT_EQ(d->description, "sends mail");
  EXPECT_EQ(d->library_path(), dir.path() / "libmail.so");
}

TEST(PluginDescriptorTest, LibraryDefaultsToTheNamingConvention) {
  TempDir dir;
  auto d = Read(dir, "name: mailer\nversion: 1.0.0\nabi: \"1.3\"\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->library, "libstoreflow_mailer.so");
  EXPECT_EQ(d->abi_minor, 3u);
}

TEST(PluginDescriptorTest, UnknownKeyIsPositionedWithValidKeysAndSuggestion) {
  TempDir dir;
  auto d = Read(dir, "name: mailer\nversion: 1.0.0\nabi: \"1.0\"\ndescripton: x\n");
  ASSERT_FALSE(d.ok());
  const std::string file = (dir.path() / "plugin.yaml").string();
  EXPECT_EQ(d.status().message(),
            file +
                ":4:1: unknown key 'descripton' (valid keys: abi, description, library, name, "
                "version); did you mean 'description'?");
}

TEST(PluginDescriptorTest, MissingFieldsAndBadValuesAreAllReported) {
  TempDir dir;
  auto d = Read(dir, "name: Mailer\nabi: one\n");
  ASSERT_FALSE(d.ok());
  const std::string& m = d.status().message();
  EXPECT_NE(m.find(":1:7: name 'Mailer' must match [a-z][a-z0-9_]*"), std::string::npos) << m;
  EXPECT_NE(m.find(":2:6: abi 'one' must be MAJOR.MINOR"), std::string::npos) << m;
  EXPECT_NE(m.find("'version' is required"), std::string::npos) << m;
}

TEST(PluginDescriptorTest, AMissingNameIsReportedWithOtherErrors) {
  TempDir dir;
  auto d = Read(dir, "version: 1\nabi: x\n");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find(":1:1: 'name' is required"), std::string::npos)
      << d.status().message();
  EXPECT_NE(d.status().message().find("abi 'x' must be MAJOR.MINOR"), std::string::npos);
}

TEST(PluginDescriptorTest, LibraryMustStayInThePluginFolder) {
  TempDir dir;
  auto d = Read(dir, "name: m\nversion: 1\nabi: \"1.0\"\nlibrary: ../evil.so\n");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find(":4:10: library must be a file name"), std::string::npos)
      << d.status().message();
}

TEST(PluginDescriptorTest, YamlSyntaxErrorIsPositioned) {
  TempDir dir;
  auto d = Read(dir, "name: [m\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message().rfind((dir.path() / "plugin.yaml").string() + ":", 0), 0u)
      << d.status().message();
}

}  // namespace
}  // namespace storeflow::plugin::testing
