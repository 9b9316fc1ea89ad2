// Fuzz target: `${{ }}` templates and the expressions in them
// (engine/src/workflow/template.h, expression.h).
//
// Input: the text of a template (one string value of a workflow).
//
// Properties of a template that parses:
//  - each expression's position is its `${{`, its first line starts where its code
//    is written, and each `steps.<id>` / `secrets` it finds is at that word;
//  - writing the segments back as text (literals with `${{` escaped as `$${{`,
//    expressions as `${{ code }}`) parses to the same segments;
//  - a template without expressions renders (without Lua) to its literal text: the
//    input with `$${{` read as `${{`;
//  - whole_expression() is set only for text that is one `${{ ... }}`;
// and of one that does not: the error names "t.yaml:1:COL" at a `${{`.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "script/sandbox.h"
#include "workflow/expression.h"
#include "workflow/template.h"

using storeflow::fuzz::Printable;
using namespace storeflow::workflow;

namespace {

constexpr std::string_view kOpen = "${{";

bool At(std::string_view text, int col, std::string_view word) {
  return col >= 1 && text.substr(static_cast<std::size_t>(col - 1)).starts_with(word);
}

std::string ReplaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(from, start);
    if (at == std::string_view::npos) break;
    out.append(text.substr(start, at - start)).append(to);
    start = at + from.size();
  }
  out.append(text.substr(start));
  return out;
}

// The segments as comparable text: literals as they are, expressions as {{code}}.
std::string Shape(const Template& t) {
  std::string out;
  for (const TemplateSegment& s : t.segments()) {
    out += s.expression ? "E[" + s.expression->code + "]" : "L[" + s.literal + "]";
  }
  return out;
}

// Text that parses to the segments of `t`.
std::string WriteBack(const Template& t) {
  std::string out;
  for (const TemplateSegment& s : t.segments()) {
    if (s.expression) {
      out += "${{ " + s.expression->code + " }}";
    } else {
      out += ReplaceAll(s.literal, kOpen, "$${{");
    }
  }
  return out;
}

storeflow::script::Sandbox& SharedSandbox() {
  static storeflow::script::Sandbox sandbox;
  return sandbox;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = Template::Parse(text, "t.yaml");
  if (!parsed.ok()) {
    const std::string& message = parsed.status().message();
    FUZZ_CHECK(message.rfind("t.yaml:1:", 0) == 0, "error without a position: " + message);
    const int col = std::atoi(message.c_str() + 9);
    FUZZ_CHECK(At(text, col, kOpen), "the error does not point at a '${{': " + Printable(message) +
                                         " in " + Printable(text));
    return 0;
  }
  const Template& t = *parsed;
  FUZZ_CHECK(t.text() == text, "text() is not the input");

  for (const TemplateSegment& s : t.segments()) {
    if (!s.expression) {
      FUZZ_CHECK(!s.literal.empty(), "an empty literal segment in " + Printable(text));
      continue;
    }
    const Expression& e = *s.expression;
    FUZZ_CHECK(!e.code.empty(), "an empty expression in " + Printable(text));
    FUZZ_CHECK(At(text, e.loc.col, kOpen) && e.loc.line == 1,
               "expression '" + Printable(e.code) + "' is not at its '${{' (" + e.loc.ToString() +
                   ") in " + Printable(text));
    FUZZ_CHECK(!e.lines.empty() && At(text, e.lines[0].col, e.code),
               "expression '" + Printable(e.code) + "' does not start at " +
                   (e.lines.empty() ? std::string("?") : e.lines[0].ToString()) + " in " +
                   Printable(text));
    for (const StepReference& ref : e.step_refs) {
      // (An empty id, steps[""], is found too: the validator reports it as unknown.)
      FUZZ_CHECK(At(text, ref.loc.col, "steps"), "reference to '" + Printable(ref.step_id) +
                                                     "' is not at 'steps' (" + ref.loc.ToString() +
                                                     ") in " + Printable(text));
    }
    if (e.secrets_use) {
      FUZZ_CHECK(At(text, e.secrets_use->col, "secrets"), "secrets use is not at 'secrets' (" +
                                                              e.secrets_use->ToString() + ") in " +
                                                              Printable(text));
    }
    // Lua names the lines of a multi-line expression; each maps to its own line.
    for (int lua_line = 0; lua_line <= static_cast<int>(e.lines.size()) + 1; ++lua_line) {
      (void)e.LocationOfLine(lua_line);
    }
  }

  const std::string written = WriteBack(t);
  auto reparsed = Template::Parse(written, "t.yaml");
  FUZZ_CHECK(reparsed.ok(), "written back as " + Printable(written) + " it does not parse: " +
                                reparsed.status().message() + " (from " + Printable(text) + ")");
  FUZZ_CHECK(Shape(*reparsed) == Shape(t), "written back as " + Printable(written) +
                                               " it parses to " + Printable(Shape(*reparsed)) +
                                               " instead of " + Printable(Shape(t)));

  if (t.is_literal()) {
    const std::string expected = ReplaceAll(text, "$${{", "${{");
    FUZZ_CHECK(t.literal_text() == expected,
               "literal_text() " + Printable(t.literal_text()) + " for " + Printable(text));
    auto rendered = RenderString(t, SharedSandbox(), nlohmann::json::object());
    FUZZ_CHECK(rendered.ok() && *rendered == expected,
               "a literal template renders to something else: " + Printable(text));
  }
  if (t.whole_expression() != nullptr) {
    FUZZ_CHECK(t.segments().size() == 1 && text.starts_with(kOpen) && text.ends_with("}}"),
               "whole_expression() for " + Printable(text));
  }
  return 0;
}
