#pragma once

// The rule test-case format merchants write next to their Lua rules
// (`scripts/<rule>.test.yaml`; docs/lua-rules.md "Testing a rule"):
//
//   script: recommend.lua          # optional; default: this file's name without .test.yaml + .lua
//   function: recommend            # required: the function every case calls
//   now: "2026-11-21T10:00:00Z"    # optional: time.now() for every case (ISO-8601)
//   cases:
//     - name: recency beats volume # required, unique in the file
//       now: "2026-11-22T10:00:00Z"  # optional: overrides the file's `now`
//       input: { events: [] }      # the value passed to the function (default: {})
//       expect: { top: shoes }     # exactly one of: expect (the whole result must equal),
//                                  #   expect_subset (listed keys must match),
//                                  #   expect_error (a fragment of the error message)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow::script {

// How a case's result is checked.
enum class ExpectKind {
  kExact,   // `expect`: the result equals the expected value
  kSubset,  // `expect_subset`: every key listed in an object matches; arrays match element-wise
  kError,   // `expect_error`: the call fails and its message contains the fragment
};

struct RuleTestCase {
  std::string name;
  int line = 0;  // 1-based position of the case in its file
  int column = 0;
  nlohmann::json input = nlohmann::json::object();
  ExpectKind kind = ExpectKind::kExact;
  nlohmann::json expect;     // for kExact and kSubset
  std::string expect_error;  // for kError
  // time.now() for this case, in milliseconds since the epoch; nullopt: the real clock.
  std::optional<std::int64_t> now_unix_ms;
};

struct RuleTestFile {
  std::string path;         // as given, e.g. "scripts/recommend.test.yaml"
  std::string script_path;  // the rule, relative to the same base: "scripts/recommend.lua"
  std::string function;
  std::vector<RuleTestCase> cases;
};

// Loads and checks a test file. Errors read "path:LINE:COL: error: message" (1-based),
// one per line, all of them at once.
Result<RuleTestFile> LoadRuleTestFile(const std::string& path);

// Same, from text already read (`path` names it in errors and locates the script).
Result<RuleTestFile> ParseRuleTestFile(std::string_view text, const std::string& path);

// Parses an ISO-8601 / RFC 3339 timestamp ("2026-11-21T10:00:00Z",
// "2026-11-21T11:00:00.250+01:00", "2026-11-21" = midnight UTC) into milliseconds since
// the epoch. A time without a zone designator is refused: it would be ambiguous.
Result<std::int64_t> ParseTimestampMs(std::string_view text);

}  // namespace storeflow::script
