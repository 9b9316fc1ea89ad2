#pragma once

// A Lua expression as written in a workflow (`if:`, `key:`, `where:`, `dedupe:` or
// inside `${{ }}`), with what the validator and the runtime need to know about it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/source_location.h"
#include "workflow/yaml_source.h"

namespace storeflow::workflow {

// `steps.<id>` or `steps["id"]` used in an expression.
struct StepReference {
  std::string step_id;
  SourceLocation loc;  // of the word `steps`
};

struct Expression {
  std::string code;
  // Where the expression is written: the `${{` of a template, or the first character
  // of a bare expression. Its chunk name for Lua is loc.ChunkName() ("@file:line").
  SourceLocation loc;
  // Where each line of `code` starts in the file (lines[0] is the first character).
  std::vector<SourceLocation> lines;
  // Static references found in the code (strings and comments skipped).
  std::vector<StepReference> step_refs;
  std::optional<SourceLocation> secrets_use;  // first use of the global `secrets`

  std::string ChunkName() const { return loc.ChunkName(); }

  // The file position of Lua line `lua_line` (1-based) of the code; loc for line 1
  // and for lines the code does not have.
  SourceLocation LocationOfLine(int lua_line) const;
};

// What a lexical scan of Lua code finds (offsets into the code).
struct ExpressionScan {
  struct Ref {
    std::string step_id;
    std::size_t offset;
  };
  std::vector<Ref> step_refs;
  std::optional<std::size_t> secrets_offset;
};
ExpressionScan ScanExpression(std::string_view code);

// Builds an Expression from code whose byte i is at locate(i); `written_at` is loc.
Expression MakeExpression(std::string code, SourceLocation written_at, const Locator& locate);

// An expression with no file behind it (tests, ad-hoc evaluation): offsets count
// columns on line 1 of `file`.
Expression MakeExpression(std::string code, std::string file = "<expression>");

}  // namespace storeflow::workflow
