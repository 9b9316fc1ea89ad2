#pragma once

// Runs rule test files (script/rule_test_format.h) through the sandbox and compares
// each result with its expectation.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "script/rule_test_format.h"

namespace storeflow::script {

class Sandbox;

// Compares `actual` with `expected`. Returns nullopt when they match, otherwise a
// readable description of the first difference, naming its JSON path:
//   "at $.categories[0].score: expected 7.5, got 6.25"
// Numbers compare by value (1 equals 1.0; floats within a relative 1e-9). With `subset`,
// an expected object only constrains the keys it lists (recursively); arrays must still
// have the same length and match element by element.
std::optional<std::string> CompareJson(const nlohmann::json& expected, const nlohmann::json& actual,
                                       bool subset);

struct RuleCaseResult {
  std::string name;
  bool passed = false;
  std::string detail;  // why it failed (empty when it passed)
};

// Runs every case of `file` with `sandbox` and the case's clock.
std::vector<RuleCaseResult> RunRuleTestFile(Sandbox& sandbox, const RuleTestFile& file);

// The rule test files at `path`: the file itself, or every `*.test.yaml` / `*.test.yml`
// under a folder (recursively, sorted). NotFound when `path` does not exist.
Result<std::vector<std::string>> FindRuleTestFiles(const std::string& path);

}  // namespace storeflow::script
