// The top level of a workflow file.

#include <yaml-cpp/yaml.h>

#include "workflow/parse_context.h"
#include "workflow/yaml_json.h"

namespace storeflow::workflow::internal {
namespace {

const std::vector<std::string> kWorkflowKeys = {"workflow",   "version", "description", "on",
                                                "input",      "key",     "concurrency", "dedupe",
                                                "dedupe_ttl", "config",  "retry",       "steps"};
const std::vector<std::string> kInputKeys = {"schema", "on_invalid"};
const std::vector<std::string> kConcurrencyKeys = {"per_key", "on_new", "on_failure"};

std::optional<InputSpec> ParseInput(ParseContext& ctx, const Entry& e) {
  if (!ctx.ExpectMap(e, "input")) return std::nullopt;
  InputSpec input;
  input.loc = e.value_loc;
  bool has_schema = false;
  for (const Entry& f : ctx.Entries(e.value, "'input'", kInputKeys)) {
    if (f.key == "on_invalid") {
      if (auto on_invalid = ctx.Choice<OnInvalid>(
              f, "on_invalid",
              {{"reject", OnInvalid::kReject}, {"dead_letter", OnInvalid::kDeadLetter}})) {
        input.on_invalid = *on_invalid;
      }
      continue;
    }
    has_schema = true;
    input.loc = f.value_loc;
    if (f.value.IsMap()) {
      input.inline_schema = YamlToJson(f.value);
    } else if (f.value.IsScalar() && !f.value.Scalar().empty()) {
      input.schema_path = f.value.Scalar();
    } else {
      ctx.Error(
          f.value_loc,
          "'input.schema' must be a path to a JSON Schema file or an inline schema map, got " +
              Describe(f.value));
    }
  }
  if (!has_schema) ctx.Error(e.value_loc, "'input' needs 'schema'");
  return input;
}

std::optional<Concurrency> ParseConcurrency(ParseContext& ctx, const Entry& e) {
  if (!ctx.ExpectMap(e, "concurrency")) return std::nullopt;
  Concurrency c;
  c.loc = e.value_loc;
  std::optional<SourceLocation> hold_loc;
  for (const Entry& f : ctx.Entries(e.value, "'concurrency'", kConcurrencyKeys)) {
    if (f.key == "per_key") {
      if (auto n = ctx.Integer(f, "concurrency.per_key")) {
        if (*n < 1) {
          ctx.Error(f.value_loc,
                    "'concurrency.per_key' must be at least 1, got " + std::to_string(*n));
        } else {
          c.per_key = static_cast<int>(*n);
        }
      }
    } else if (f.key == "on_new") {
      if (auto on_new = ctx.Choice<OnNew>(
              f, "on_new",
              {{"queue", OnNew::kQueue}, {"skip", OnNew::kSkip}, {"replace", OnNew::kReplace}})) {
        c.on_new = *on_new;
      }
    } else if (auto on_failure = ctx.Choice<OnFailure>(
                   f, "on_failure",
                   {{"release", OnFailure::kRelease}, {"hold", OnFailure::kHold}})) {
      c.on_failure = *on_failure;
      if (c.on_failure == OnFailure::kHold) hold_loc = f.value_loc;
    }
  }
  if (hold_loc && c.on_new != OnNew::kQueue) {
    // skip would drop the key's later events, replace would cancel the dead letter.
    ctx.Error(*hold_loc,
              "'concurrency.on_failure: hold' needs 'on_new: queue' (later events of the key "
              "wait behind the dead letter; skip would drop them and replace would cancel it)");
  }
  return c;
}

}  // namespace

Workflow ParseWorkflow(ParseContext& ctx, const YAML::Node& root) {
  Workflow wf;
  wf.source_path = ctx.source().path();
  const SourceLocation top = ctx.source().AtOffset(0);
  wf.loc = top;
  if (root.IsNull() || !root.IsDefined()) {
    ctx.Error(top, "the file is empty; a workflow needs at least 'workflow', 'on' and 'steps'");
    return wf;
  }
  if (!root.IsMap()) {
    ctx.Error(
        ctx.At(root),
        "a workflow file must be a map of keys (workflow, on, steps, ...), got " + Describe(root));
    return wf;
  }
  bool has_name = false;
  bool has_on = false;
  bool has_steps = false;
  for (const Entry& e : ctx.Entries(root, "the workflow", kWorkflowKeys)) {
    if (e.key == "workflow") {
      has_name = true;
      if (auto name = ctx.String(e, "workflow")) {
        wf.name = *name;
        wf.loc = e.value_loc;
      }
    } else if (e.key == "version") {
      if (auto v = ctx.Integer(e, "version")) {
        if (*v < 1) {
          ctx.Error(e.value_loc, "'version' must be a positive integer, got " + std::to_string(*v));
        } else {
          wf.version = static_cast<int>(*v);
        }
      }
    } else if (e.key == "description") {
      if (auto d = ctx.String(e, "description")) wf.description = *d;
    } else if (e.key == "on") {
      has_on = true;
      wf.triggers = ParseTriggers(ctx, e);
    } else if (e.key == "input") {
      wf.input = ParseInput(ctx, e);
    } else if (e.key == "key") {
      wf.key = ctx.BareExpression(e, "key");
    } else if (e.key == "concurrency") {
      wf.concurrency = ParseConcurrency(ctx, e);
    } else if (e.key == "dedupe") {
      wf.dedupe = ctx.BareExpression(e, "dedupe");
    } else if (e.key == "dedupe_ttl") {
      wf.dedupe_ttl = ctx.DurationField(e, "dedupe_ttl");
    } else if (e.key == "config") {
      if (ctx.ExpectMap(e, "config")) wf.config = YamlToJson(e.value);
    } else if (e.key == "retry") {
      wf.retry = ParseRetry(ctx, e);
    } else if (e.key == "steps") {
      has_steps = true;
      wf.steps = ParseSteps(ctx, e, "the workflow");
    }
  }
  const SourceLocation start = ctx.At(root);
  if (!has_name) ctx.Error(start, "missing 'workflow' (the workflow's name)");
  if (!has_on) ctx.Error(start, "missing 'on' (the triggers that start the workflow)");
  if (!has_steps) ctx.Error(start, "missing 'steps'");
  for (const std::string& problem : ResolveConfiguredSchedules(wf)) {
    for (const Trigger& t : wf.triggers) {
      const auto* s = std::get_if<ScheduleTrigger>(&t.spec);
      if (s != nullptr && problem.find("config." + s->config_key) != std::string::npos) {
        ctx.Error(t.loc, problem);
        break;
      }
    }
  }
  return wf;
}

}  // namespace storeflow::workflow::internal
