#include "script/rule_test_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "script/sandbox.h"

namespace storeflow::script {
namespace {

using nlohmann::json;

std::string Diff(const char* expected, const char* actual, bool subset = false) {
  auto d = CompareJson(json::parse(expected), json::parse(actual), subset);
  return d ? *d : "";
}

TEST(CompareJsonTest, EqualValuesMatch) {
  EXPECT_EQ(Diff(R"({"a": [1, {"b": "x"}], "c": null})", R"({"c": null, "a": [1, {"b": "x"}]})"),
            "");
  EXPECT_EQ(Diff("[]", "[]"), "");
  EXPECT_EQ(Diff("{}", "{}"), "");
}

TEST(CompareJsonTest, NumbersCompareByValue) {
  EXPECT_EQ(Diff("1", "1.0"), "");
  EXPECT_EQ(Diff("0.1", "0.1000000000000001"), "");  // within 1e-9 relative
  EXPECT_EQ(Diff("0.125", "0.126"), "at $: expected 0.125, got 0.126");
  // 64-bit integers compare exactly, not through doubles.
  EXPECT_EQ(Diff("9007199254740993", "9007199254740992"),
            "at $: expected 9007199254740993, got 9007199254740992");
  EXPECT_EQ(Diff("18446744073709551615", "18446744073709551615"), "");
}

TEST(CompareJsonTest, NamesThePathOfTheFirstDifference) {
  EXPECT_EQ(Diff(R"({"categories": [{"productType": "shoes", "score": 7.5}]})",
                 R"({"categories": [{"productType": "shoes", "score": 6.25}]})"),
            "at $.categories[0].score: expected 7.5, got 6.25");
  EXPECT_EQ(Diff(R"({"odd key": 1})", R"({"odd key": 2})"),
            R"(at $["odd key"]: expected 1, got 2)");
  EXPECT_EQ(Diff(R"({"a": 1, "b": 2})", R"({"a": 1})"), "at $.b: missing (expected 2)");
  EXPECT_EQ(Diff(R"({"a": 1})", R"({"a": 1, "z": true})"), "at $.z: unexpected key (got true)");
  EXPECT_EQ(Diff(R"({"top": null})", R"({"top": "shoes"})"),
            R"(at $.top: expected null, got a string "shoes")");
  EXPECT_EQ(Diff("[1, 2, 3]", "[1, 2]"), "at $: expected 3 elements, got 2 (first missing: 3)");
  EXPECT_EQ(Diff("[1]", "[1, 5]"), "at $: expected 1 elements, got 2 (first extra: 5)");
  EXPECT_EQ(Diff("[]", "{}"), "at $: expected an array [], got an object {}");
}

TEST(CompareJsonTest, SubsetIgnoresUnlistedKeys) {
  EXPECT_EQ(Diff(R"({"action": "send"})", R"({"action": "send", "delay_seconds": 60})", true), "");
  EXPECT_EQ(Diff(R"({"list": [{"a": 1}]})", R"({"list": [{"a": 1, "b": 2}]})", true), "");
  EXPECT_EQ(Diff(R"({"action": "send"})", R"({"action": "stop"})", true),
            R"(at $.action: expected "send", got "stop")");
  EXPECT_EQ(Diff(R"({"x": 1})", R"({"y": 1})", true), "at $.x: missing (expected 1)");
  // Arrays keep their length even in a subset match.
  EXPECT_EQ(Diff(R"({"list": [{"a": 1}]})", R"({"list": [{"a": 1}, {"a": 2}]})", true),
            R"(at $.list: expected 1 elements, got 2 (first extra: {"a":2}))");
}

TEST(FindRuleTestFilesTest, FindsTestFilesSorted) {
  Result<std::vector<std::string>> files =
      FindRuleTestFiles(std::string(STOREFLOW_SOURCE_DIR) + "/scripts/");
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_GE(files->size(), 2u);
  for (const std::string& f : *files) {
    EXPECT_NE(f.find(".test.y"), std::string::npos) << f;
    EXPECT_EQ(f.find("//"), std::string::npos) << f;
  }
  EXPECT_TRUE(std::is_sorted(files->begin(), files->end()));
  EXPECT_FALSE(FindRuleTestFiles("/no/such/folder").ok());
}

// The runner against the real sandbox and a shipped rule.
TEST(RunRuleTestFileTest, ReportsPassAndFailPerCase) {
  const std::string path = std::string(STOREFLOW_SOURCE_DIR) + "/scripts/recommend.test.yaml";
  Result<RuleTestFile> file = ParseRuleTestFile(R"(
function: recommend
now: "2026-11-21T10:00:00Z"
cases:
  - name: empty
    input: { events: [] }
    expect: { categories: [], top: null }
  - name: wrong
    input: { events: [ { productType: hats, eventType: view } ] }
    expect_subset: { top: shoes }
  - name: error expected
    input: { half_life: -1 }
    expect_error: half_life
  - name: error not raised
    input: {}
    expect_error: boom
)",
                                                path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  Sandbox sandbox;
  std::vector<RuleCaseResult> results = RunRuleTestFile(sandbox, *file);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].passed) << results[0].detail;
  EXPECT_FALSE(results[1].passed);
  EXPECT_EQ(results[1].detail.rfind(R"(at $.top: expected "shoes", got "hats")", 0), 0u)
      << results[1].detail;
  EXPECT_TRUE(results[2].passed) << results[2].detail;
  EXPECT_FALSE(results[3].passed);
  EXPECT_NE(results[3].detail.find("expected an error containing \"boom\""), std::string::npos);
}

}  // namespace
}  // namespace storeflow::script
