#pragma once

// `${{ expr }}` templates in strings.
//
// A string is split into literal text and Lua expressions. When the whole string is
// exactly one `${{ expr }}` (nothing around it), evaluating it yields the expression's
// value with its type (table, number, boolean, nil); otherwise the pieces are joined
// into a string: nil -> "", booleans -> true/false, numbers as Lua prints them
// (integers without ".0"), tables -> compact JSON. Write `$${{` for a literal `${{`.
// The expression ends at the first `}}` outside Lua strings and outside `{ }`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "script/sandbox.h"
#include "workflow/diagnostic.h"
#include "workflow/expression.h"
#include "workflow/yaml_source.h"

namespace storeflow::workflow {

struct TemplateSegment {
  std::string literal;  // when !expression
  std::optional<Expression> expression;
};

class Template {
 public:
  Template() = default;

  // Parses `text` whose byte i is at locate(i). Problems (an unterminated `${{`, an
  // empty expression) go to `diagnostics` at their exact position; the result then
  // holds what could be parsed.
  static Template Parse(std::string_view text, const Locator& locate, Diagnostics& diagnostics);

  // For text with no file behind it: errors become InvalidArgument("file:1:COL: ...").
  static Result<Template> Parse(std::string_view text, const std::string& file = "<template>");

  // A template of one literal string (no expressions).
  static Template Literal(std::string text, SourceLocation loc = {});

  const std::string& text() const { return text_; }  // as written
  const SourceLocation& loc() const { return loc_; }
  const std::vector<TemplateSegment>& segments() const { return segments_; }

  bool is_literal() const;  // no expressions
  // The expression when the text is exactly one `${{ expr }}`, else nullptr.
  const Expression* whole_expression() const;
  // The literal text (with `$${{` unescaped); meaningful when is_literal().
  std::string literal_text() const;

 private:
  std::string text_;
  SourceLocation loc_;
  std::vector<TemplateSegment> segments_;
};

// Evaluates every expression of `t` in `sandbox` with `context`'s names as globals.
// A whole-value template returns the value with its type; anything else a string.
// Errors name the expression's position ("file:line:col: ...").
Result<nlohmann::json> Evaluate(const Template& t, script::Sandbox& sandbox,
                                const nlohmann::json& context,
                                const script::CallContext& call = {});

// Like Evaluate, but always a string (a whole-value result is interpolated too).
Result<std::string> RenderString(const Template& t, script::Sandbox& sandbox,
                                 const nlohmann::json& context,
                                 const script::CallContext& call = {});

// How a value is written into a string: nil -> "", strings as they are, numbers and
// booleans as Lua prints them, tables as compact JSON.
std::string InterpolationText(const nlohmann::json& value);

}  // namespace storeflow::workflow
