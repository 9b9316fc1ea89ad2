#include "workflow/yaml_source.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "workflow/yaml_json.h"

namespace storeflow::workflow {
namespace {

// The position of byte `offset` of the value of key "a" in `text`.
std::string Where(const std::string& text, std::size_t offset) {
  YamlSource source(text, "f.yaml");
  YAML::Node root = YAML::Load(text);
  return source.InScalar(root["a"], offset).ToString();
}

std::size_t DollarIn(const std::string& text) {
  return YAML::Load(text)["a"].Scalar().find("${{");
}

TEST(YamlSourceTest, PlainScalar) {
  std::string text = "a: hello ${{ x }}\n";
  EXPECT_EQ(Where(text, DollarIn(text)), "f.yaml:1:10");
  EXPECT_EQ(Where(text, 0), "f.yaml:1:4");
}

TEST(YamlSourceTest, DoubleQuotedWithEscapes) {
  std::string text = "a: \"\\t\\u00e9 ${{ x }}\"\n";
  EXPECT_EQ(Where(text, DollarIn(text)), "f.yaml:1:14");
}

TEST(YamlSourceTest, SingleQuotedWithDoubledQuote) {
  std::string text = "a: 'it''s ${{ x }}'\n";
  EXPECT_EQ(Where(text, DollarIn(text)), "f.yaml:1:11");
}

TEST(YamlSourceTest, LiteralBlock) {
  std::string text = "a: |\n  line1\n  x ${{ y }}\n";
  EXPECT_EQ(Where(text, DollarIn(text)), "f.yaml:3:5");
}

TEST(YamlSourceTest, FoldedPlainScalarOverLines) {
  std::string text = "a: one\n  two ${{ x }}\n";
  EXPECT_EQ(Where(text, DollarIn(text)), "f.yaml:2:7");
}

TEST(YamlSourceTest, FoldedBlock) {
  std::string text = "a: >-\n  first line\n  second ${{ y }}\n";
  EXPECT_EQ(Where(text, DollarIn(text)), "f.yaml:3:10");
}

TEST(YamlSourceTest, AnchorAndTagBeforeTheValue) {
  std::string text = "a: &x !!str v${{ y }}\n";
  EXPECT_EQ(Where(text, 1), "f.yaml:1:14");
}

TEST(YamlSourceTest, ColumnsCountCharactersNotBytes) {
  std::string text = "\xc3\xa9t\xc3\xa9: 1\na: \"\xc3\xa9 ${{ x }}\"\n";
  EXPECT_EQ(Where(text, DollarIn(text)), "f.yaml:2:7");
  YamlSource source(text, "f.yaml");
  EXPECT_EQ(source.At(YAML::Load(text)["\xc3\xa9t\xc3\xa9"]).ToString(), "f.yaml:1:6");
}

TEST(YamlJsonTest, CoreSchemaTyping) {
  YAML::Node n = YAML::Load(R"yaml(
i: 42
neg: -7
hex: 0x1F
oct: 0o17
f: 1.5
e: 1e3
t: true
F: False
nul: ~
empty:
yes: yes
on: on
s: "42"
big: 18446744073709551615
int64: 9223372036854775807
inf: .inf
list: [1, two]
tagged: !!str 12
)yaml");
  nlohmann::json j = YamlToJson(n);
  EXPECT_EQ(j["i"], 42);
  EXPECT_EQ(j["neg"], -7);
  EXPECT_EQ(j["hex"], 31);
  EXPECT_EQ(j["oct"], 15);
  EXPECT_EQ(j["f"], 1.5);
  EXPECT_EQ(j["e"], 1000.0);
  EXPECT_EQ(j["t"], true);
  EXPECT_EQ(j["F"], false);
  EXPECT_TRUE(j["nul"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["yes"], "yes");
  EXPECT_EQ(j["on"], "on");
  EXPECT_EQ(j["s"], "42");
  EXPECT_TRUE(j["big"].is_number_unsigned());
  EXPECT_EQ(j["int64"], INT64_MAX);
  EXPECT_EQ(j["inf"], ".inf");
  EXPECT_EQ(j["list"], nlohmann::json({1, "two"}));
  EXPECT_EQ(j["tagged"], "12");
}

}  // namespace
}  // namespace storeflow::workflow
