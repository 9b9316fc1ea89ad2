#pragma once

// Helpers shared by the workflow tests.

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "workflow/loader.h"

namespace storeflow::workflow::testing {

// Rule paths resolve against the repository (scripts/email_timing.lua, ...).
inline ValidateOptions RepoOptions() {
  ValidateOptions options;
  options.root = STOREFLOW_SOURCE_DIR;
  return options;
}

// Every diagnostic of `yaml` (loaded as "wf.yaml") as printed.
inline std::vector<std::string> Diagnose(std::string_view yaml,
                                         const ValidateOptions& options = RepoOptions()) {
  LoadResult result = LoadWorkflowFromString(yaml, "wf.yaml", options);
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics().items()) out.push_back(d.ToString());
  return out;
}

inline std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// Exactly one diagnostic, at `where` ("wf.yaml:LINE:COL"), containing `fragment`.
inline void ExpectOneError(std::string_view yaml, const std::string& where,
                           const std::string& fragment,
                           const ValidateOptions& options = RepoOptions()) {
  std::vector<std::string> got = Diagnose(yaml, options);
  ASSERT_EQ(got.size(), 1u) << Join(got);
  EXPECT_EQ(got[0].rfind(where + ": error: ", 0), 0u) << "expected at " << where << ":\n" << got[0];
  EXPECT_NE(got[0].find(fragment), std::string::npos) << "expected \"" << fragment << "\" in:\n"
                                                      << got[0];
}

// Some diagnostic at `where` containing `fragment` (others may exist).
inline void ExpectError(std::string_view yaml, const std::string& where,
                        const std::string& fragment,
                        const ValidateOptions& options = RepoOptions()) {
  std::vector<std::string> got = Diagnose(yaml, options);
  for (const std::string& line : got) {
    if (line.rfind(where + ": error: ", 0) == 0 && line.find(fragment) != std::string::npos) return;
  }
  ADD_FAILURE() << "no error at " << where << " with \"" << fragment << "\" in:\n" << Join(got);
}

inline void ExpectValid(std::string_view yaml, const ValidateOptions& options = RepoOptions()) {
  std::vector<std::string> got = Diagnose(yaml, options);
  EXPECT_TRUE(got.empty()) << Join(got);
}

}  // namespace storeflow::workflow::testing
