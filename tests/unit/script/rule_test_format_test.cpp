#include "script/rule_test_format.h"

#include <gtest/gtest.h>

#include <string>

namespace storeflow::script {
namespace {

using nlohmann::json;

// Test files name scripts relative to themselves; point them at the shipped rules.
const std::string kPath = std::string(STOREFLOW_SOURCE_DIR) + "/scripts/recommend.test.yaml";

TEST(RuleTestFormatTest, ParsesCasesAndDefaults) {
  Result<RuleTestFile> file = ParseRuleTestFile(R"(
function: recommend
now: "2026-11-21T10:00:00Z"
cases:
  - name: exact
    input: { events: [], id: 9007199254740993, ratio: 0.5, flag: true, none: ~, text: "42" }
    expect: { top: null }
  - name: subset
    now: "2026-11-21T11:00:00+01:00"
    expect_subset: { categories: [] }
  - name: error
    input: { half_life: -1 }
    expect_error: half_life
)",
                                                kPath);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->function, "recommend");
  EXPECT_EQ(file->script_path, std::string(STOREFLOW_SOURCE_DIR) + "/scripts/recommend.lua");
  ASSERT_EQ(file->cases.size(), 3u);

  const RuleTestCase& exact = file->cases[0];
  EXPECT_EQ(exact.name, "exact");
  EXPECT_EQ(exact.kind, ExpectKind::kExact);
  EXPECT_EQ(exact.line, 5);
  EXPECT_EQ(exact.column, 5);
  EXPECT_EQ(exact.now_unix_ms, 1795255200000);
  EXPECT_TRUE(exact.input["events"].is_array());
  EXPECT_EQ(exact.input["id"].get<std::int64_t>(), 9007199254740993);
  EXPECT_TRUE(exact.input["ratio"].is_number_float());
  EXPECT_EQ(exact.input["flag"], true);
  EXPECT_TRUE(exact.input["none"].is_null());
  EXPECT_EQ(exact.input["text"], "42");  // quoted: stays a string
  EXPECT_EQ(exact.expect, json::parse(R"({"top": null})"));

  EXPECT_EQ(file->cases[1].kind, ExpectKind::kSubset);
  EXPECT_EQ(file->cases[1].now_unix_ms, 1795255200000);  // 11:00+01:00 == 10:00Z
  EXPECT_EQ(file->cases[1].input, json::object());       // default input

  EXPECT_EQ(file->cases[2].kind, ExpectKind::kError);
  EXPECT_EQ(file->cases[2].expect_error, "half_life");
}

TEST(RuleTestFormatTest, ReportsEveryErrorWithPosition) {
  Result<RuleTestFile> file = ParseRuleTestFile(R"(function: recommend
scirpt: x.lua
cases:
  - name: a
    expect: 1
  - name: a
    inptu: {}
    expect: 1
  - name: b
  - name: c
    expect: 1
    expect_error: boom
  - name: d
    now: yesterday
    expect: 1
)",
                                                kPath);
  ASSERT_FALSE(file.ok());
  const std::string m = file.status().message();
  EXPECT_NE(m.find(kPath + ":2:1: error: unknown key \"scirpt\""), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'script'?"), std::string::npos) << m;
  EXPECT_NE(m.find(kPath + ":6:11: error: duplicate case name \"a\""), std::string::npos) << m;
  EXPECT_NE(m.find(kPath + ":7:5: error: unknown key \"inptu\" in a case"), std::string::npos) << m;
  EXPECT_NE(m.find(kPath + ":9:5: error: case \"b\" needs one of"), std::string::npos) << m;
  EXPECT_NE(m.find(kPath + ":10:5: error: case \"c\" has more than one"), std::string::npos) << m;
  EXPECT_NE(m.find(kPath + ":14:10: error: invalid timestamp \"yesterday\""), std::string::npos)
      << m;
}

TEST(RuleTestFormatTest, MissingScriptAndFunction) {
  Result<RuleTestFile> file =
      ParseRuleTestFile("script: nope.lua\ncases: []\n", STOREFLOW_SOURCE_DIR "/scripts/x.yaml");
  ASSERT_FALSE(file.ok());
  const std::string m = file.status().message();
  EXPECT_NE(m.find("missing `function`"), std::string::npos) << m;
  EXPECT_NE(m.find(":1:9: error: the rule script "), std::string::npos) << m;
  EXPECT_NE(m.find("scripts/nope.lua does not exist"), std::string::npos) << m;
}

TEST(RuleTestFormatTest, YamlSyntaxErrorHasPosition) {
  Result<RuleTestFile> file =
      ParseRuleTestFile("function: f\ncases:\n  - name: [unclosed\n", kPath);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message().rfind(kPath + ":", 0), 0u) << file.status().message();
  EXPECT_NE(file.status().message().find(": error: "), std::string::npos);
}

TEST(RuleTestFormatTest, ParsesTimestamps) {
  EXPECT_EQ(*ParseTimestampMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestampMs("2026-11-21T10:00:00Z"), 1795255200000);
  EXPECT_EQ(*ParseTimestampMs("2026-11-21T10:00:00.250Z"), 1795255200250);
  EXPECT_EQ(*ParseTimestampMs("2026-11-21T02:00:00-08:00"), 1795255200000);
  EXPECT_EQ(*ParseTimestampMs("2026-11-21T19:00+0900"), 1795255200000);
  EXPECT_EQ(*ParseTimestampMs("2026-11-21"), 1795219200000);
  EXPECT_EQ(*ParseTimestampMs("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_FALSE(ParseTimestampMs("2026-11-21T10:00:00").ok());  // no zone
  EXPECT_FALSE(ParseTimestampMs("2025-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-11-21T24:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("tomorrow").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-11-21T10:00:00Zjunk").ok());
}

}  // namespace
}  // namespace storeflow::script
