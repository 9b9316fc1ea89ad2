// Fuzz target: the workflow YAML loader and validator (engine/src/workflow/loader.h,
// validator.h), on the whole input as the text of a workflow file.
//
// Properties:
//  - loading never crashes, and loading the same text twice gives the same
//    diagnostics (no hidden state, no uninitialised reads);
//  - every diagnostic names the file and a line:col inside the text;
//  - a load succeeds exactly when there is no error; a failed one's status()
//    starts with "fuzz.yaml:";
//  - a loaded workflow validates again without errors, and every expression in it
//    (with its `steps.<id>` references) has a position inside the text.
// Rule scripts are not opened (check_rules = false); the validator still looks up
// time zones and `input.schema` files (read only).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "script/sandbox.h"
#include "workflow/loader.h"
#include "workflow/validator.h"

using storeflow::fuzz::Printable;
using namespace storeflow::workflow;

namespace {

constexpr const char* kFile = "fuzz.yaml";

// Byte length of each line of `text` (1-based: lengths[0] is unused).
std::vector<std::size_t> LineLengths(std::string_view text) {
  std::vector<std::size_t> lengths{0};
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find('\n', start);
    lengths.push_back((end == std::string_view::npos ? text.size() : end) - start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lengths;
}

void CheckLocation(const SourceLocation& loc, const std::vector<std::size_t>& lines,
                   const std::string& what, std::string_view text) {
  FUZZ_CHECK(loc.file == kFile, what + " names file '" + loc.file + "'");
  FUZZ_CHECK(loc.line >= 1 && loc.col >= 1,
             what + " has no position (" + loc.ToString() + ") in: " + Printable(text));
  // yaml-cpp may point just past the last line (end of input).
  FUZZ_CHECK(static_cast<std::size_t>(loc.line) <= lines.size(),
             what + " is past the end (" + loc.ToString() + ", " +
                 std::to_string(lines.size() - 1) + " lines) in: " + Printable(text));
  if (static_cast<std::size_t>(loc.line) < lines.size()) {
    // Columns count characters, so they are at most the byte length (+1: end of line).
    FUZZ_CHECK(static_cast<std::size_t>(loc.col) <= lines[loc.line] + 1,
               what + " is past the end of its line (" + loc.ToString() + ", " +
                   std::to_string(lines[loc.line]) + " bytes) in: " + Printable(text));
  }
}

ValidateOptions Options() {
  static storeflow::script::Sandbox sandbox;
  ValidateOptions options;
  options.check_rules = false;
  options.sandbox = &sandbox;
  return options;
}

void CheckExpression(const Expression& e, const std::vector<std::size_t>& lines,
                     std::string_view text) {
  CheckLocation(e.loc, lines, "expression '" + Printable(e.code, 60) + "'", text);
  for (const SourceLocation& line : e.lines) {
    CheckLocation(line, lines, "a line of expression '" + Printable(e.code, 60) + "'", text);
  }
  for (const StepReference& ref : e.step_refs) {
    CheckLocation(ref.loc, lines, "reference to step '" + Printable(ref.step_id, 60) + "'", text);
  }
}

void CheckTemplate(const Template& t, const std::vector<std::size_t>& lines,
                   std::string_view text) {
  for (const TemplateSegment& segment : t.segments()) {
    if (segment.expression) CheckExpression(*segment.expression, lines, text);
  }
}

void CheckValue(const ValueTemplate& value, const std::vector<std::size_t>& lines,
                std::string_view text) {
  value.ForEachExpression([&](const Expression& e) { CheckExpression(e, lines, text); });
}

void CheckDuration(const DurationValue& d, const std::vector<std::size_t>& lines,
                   std::string_view text) {
  if (const auto* t = std::get_if<Template>(&d.value)) CheckTemplate(*t, lines, text);
}

void CheckSteps(const std::vector<Step>& steps, const std::vector<std::size_t>& lines,
                std::string_view text) {
  for (const Step& step : steps) {
    CheckLocation(step.loc, lines, "step '" + Printable(step.id, 60) + "'", text);
    if (step.condition) CheckExpression(*step.condition, lines, text);
    if (step.timeout) CheckDuration(*step.timeout, lines, text);
    if (const auto* uses = std::get_if<UsesStep>(&step.kind)) {
      CheckValue(uses->with, lines, text);
    } else if (const auto* rule = std::get_if<RuleStep>(&step.kind)) {
      CheckValue(rule->with, lines, text);
    } else if (const auto* sleep = std::get_if<SleepStep>(&step.kind)) {
      if (sleep->duration) CheckDuration(*sleep->duration, lines, text);
      if (sleep->until) CheckTemplate(*sleep->until, lines, text);
    } else if (const auto* wait = std::get_if<WaitForStep>(&step.kind)) {
      if (wait->key) CheckExpression(*wait->key, lines, text);
      if (wait->where) CheckExpression(*wait->where, lines, text);
      CheckDuration(wait->timeout, lines, text);
    } else if (const auto* emit = std::get_if<EmitStep>(&step.kind)) {
      CheckValue(emit->data, lines, text);
    } else if (const auto* respond = std::get_if<RespondStep>(&step.kind)) {
      CheckValue(respond->status, lines, text);
      CheckValue(respond->headers, lines, text);
      CheckValue(respond->body, lines, text);
    } else if (const auto* each = std::get_if<ForeachStep>(&step.kind)) {
      CheckValue(each->items, lines, text);
    } else if (const auto* fail = std::get_if<FailStep>(&step.kind)) {
      CheckTemplate(fail->message, lines, text);
    }
    CheckSteps(step.children(), lines, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = LineLengths(text);
  const ValidateOptions options = Options();

  const LoadResult result = LoadWorkflowFromString(text, kFile, options);
  const std::string diagnostics = result.diagnostics().ToString();
  for (const Diagnostic& d : result.diagnostics().items()) {
    CheckLocation(d.loc, lines, "diagnostic \"" + Printable(d.message, 200) + "\"", text);
    FUZZ_CHECK(!d.message.empty(), "a diagnostic without a message at " + d.loc.ToString());
  }
  FUZZ_CHECK(result.ok() == !result.diagnostics().has_errors(),
             "ok() disagrees with the errors: " + Printable(diagnostics));

  const LoadResult again = LoadWorkflowFromString(text, kFile, options);
  FUZZ_CHECK(again.diagnostics().ToString() == diagnostics && again.ok() == result.ok(),
             "loading twice differs: " + Printable(diagnostics) + " vs " +
                 Printable(again.diagnostics().ToString()));

  if (!result.ok()) {
    const std::string message = result.status().message();
    FUZZ_CHECK(message.rfind(std::string(kFile) + ":", 0) == 0,
               "status() does not start with the file: " + Printable(message));
    return 0;
  }

  const Workflow& workflow = *result.workflow();
  const Diagnostics revalidated = ValidateWorkflow(workflow, options);
  FUZZ_CHECK(!revalidated.has_errors(),
             "a loaded workflow fails validation: " + Printable(revalidated.ToString()));
  if (workflow.key) CheckExpression(*workflow.key, lines, text);
  if (workflow.dedupe) CheckExpression(*workflow.dedupe, lines, text);
  CheckSteps(workflow.steps, lines, text);
  return 0;
}
