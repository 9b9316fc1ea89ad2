#include "workflow/validator.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "common/did_you_mean.h"
#include "common/json_schema.h"
#include "common/timezone.h"

namespace storeflow::workflow {
namespace {

const std::set<std::string, std::less<>> kReservedStepIds = {"end", "fail", "continue"};
// Names the engine puts into every expression's context.
const std::set<std::string, std::less<>> kContextNames = {"event",   "run", "steps", "config",
                                                          "secrets", "now", "loop",  "meta"};
const std::set<std::string, std::less<>> kLuaKeywords = {
    "and",      "break",  "do",   "else", "elseif", "end",  "false", "for",
    "function", "goto",   "if",   "in",   "local",  "nil",  "not",   "or",
    "repeat",   "return", "then", "true", "until",  "while"};

constexpr std::string_view kSyntaxChunk = "=expression";

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// How a reference to step `id` is written in Lua.
std::string RefText(const std::string& id) {
  return IsIdentifier(id) ? "steps." + id : "steps[\"" + id + "\"]";
}

std::string StepLabel(const Step& s) {
  return "step '" + s.id + "'";
}

bool ZoneExists(const std::string& name) {
  return TimeZone::Load(name).ok();
}

// Splits Lua's "expression:LINE: message" into its parts.
void SplitLuaError(const std::string& message, int& line, std::string& text) {
  line = 1;
  text = message;
  std::string prefix(kSyntaxChunk.substr(1));
  std::size_t at = message.find(prefix + ":");
  if (at == std::string::npos) return;
  std::size_t digits = at + prefix.size() + 1;
  std::size_t end = digits;
  while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
  if (end == digits || end >= message.size() || message[end] != ':') return;
  line = std::stoi(message.substr(digits, end - digits));
  text = message.substr(end + 1);
  if (!text.empty() && text.front() == ' ') text.erase(0, 1);
  std::size_t traceback = text.find("\nstack traceback");
  if (traceback != std::string::npos) text.erase(traceback);
}

// What the validator knows about one step id.
struct StepInfo {
  const Step* step;
  const Step* foreach = nullptr;  // the innermost enclosing foreach, if any
};

// The ids whose outputs exist when an expression runs, and foreach variables.
struct Scope {
  std::set<std::string, std::less<>> visible;
  std::map<std::string, const Step*, std::less<>> loop_names;  // `as` name -> its foreach
};

class Validator {
 public:
  Validator(const Workflow& wf, const ValidateOptions& options) : wf_(wf), options_(options) {}

  Diagnostics Run() {
    CheckWorkflowName();
    CheckTriggers();
    CollectIds(wf_.steps, nullptr);
    CheckWorkflowOptions();
    CheckSteps(wf_.steps, Scope{});
    return std::move(out_);
  }

 private:
  // ---- workflow level ----

  // The schema must exist (relative to the workflow file), be JSON and compile.
  void CheckInputSchema(const InputSpec& input) {
    if (input.schema_path.empty()) {
      auto schema = JsonSchema::Parse(input.inline_schema);
      if (!schema.ok()) out_.Error(input.loc, "'input.schema': " + schema.status().message());
      return;
    }
    std::filesystem::path file =
        std::filesystem::path(wf_.source_path).parent_path() / input.schema_path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      out_.Error(input.loc, "'input.schema' file '" + input.schema_path +
                                "' not found (looked for " + file.string() +
                                "; the path is relative to the workflow file)");
      return;
    }
    auto schema = JsonSchema::Load(file);
    if (!schema.ok()) out_.Error(input.loc, "'input.schema': " + schema.status().message());
  }

  void CheckWorkflowName() {
    if (!wf_.name.empty() && !IsValidId(wf_.name)) {
      out_.Error(wf_.loc,
                 "invalid workflow name '" + wf_.name + "': use letters, digits, '_' and '-' only");
    }
  }

  void CheckTriggers() {
    std::map<std::string, SourceLocation> seen;
    for (const Trigger& t : wf_.triggers) {
      std::string text = t.ToString();
      auto [it, inserted] = seen.emplace(text, t.loc);
      if (!inserted) {
        out_.Error(t.loc,
                   "duplicate trigger '" + text + "' (first at " + it->second.ToString() + ")");
      }
      if (const auto* s = std::get_if<ScheduleTrigger>(&t.spec)) {
        if (!ZoneExists(s->timezone)) {
          out_.Error(t.loc, "unknown time zone '" + s->timezone +
                                "' (use an IANA name such as Europe/Berlin, or UTC)");
        }
      }
      if (const auto* h = std::get_if<HttpTrigger>(&t.spec)) CheckHttpAuth(*h);
      if (const auto* q = std::get_if<QueueTrigger>(&t.spec); q && options_.check_source) {
        if (std::string problem = options_.check_source(q->plugin); !problem.empty()) {
          out_.Error(t.loc, "queue trigger '" + q->plugin + "/" + q->queue +
                                "': cannot run: " + std::move(problem));
        }
      }
    }
  }

  void CheckWorkflowOptions() {
    Scope none;
    if (wf_.key) CheckExpression(*wf_.key, none, "the workflow 'key'", nullptr, false);
    if (wf_.dedupe) CheckExpression(*wf_.dedupe, none, "'dedupe'", nullptr, false);
    if (wf_.concurrency && !wf_.key) {
      out_.Error(wf_.concurrency->loc,
                 "'concurrency' limits runs per key, but the workflow has no 'key'");
    }
    if (wf_.dedupe_ttl) {
      if (!wf_.dedupe) {
        out_.Error(wf_.dedupe_ttl->loc, "'dedupe_ttl' has no effect without 'dedupe'");
      }
      CheckPositive(*wf_.dedupe_ttl, "dedupe_ttl");
      CheckDurationExpressions(*wf_.dedupe_ttl, none, "'dedupe_ttl'", nullptr);
    }
    if (wf_.retry) CheckRetry(*wf_.retry, none, "the workflow 'retry'", nullptr);
    if (wf_.input) CheckInputSchema(*wf_.input);
  }

  // ---- ids ----

  void CollectIds(const std::vector<Step>& steps, const Step* foreach) {
    for (const Step& s : steps) {
      if (!s.id.empty()) {
        if (!IsValidId(s.id)) {
          out_.Error(s.loc,
                     "invalid step id '" + s.id + "': use letters, digits, '_' and '-' only");
        } else if (kReservedStepIds.count(s.id) > 0) {
          out_.Error(s.loc,
                     "step id '" + s.id + "' is reserved (then: end, on_error: fail|continue)");
        }
        auto [it, inserted] = ids_.emplace(s.id, StepInfo{&s, foreach});
        if (!inserted) {
          out_.Error(s.loc, "duplicate step id '" + s.id + "': first at " +
                                it->second.step->loc.ToString() + ", again at " + s.loc.ToString() +
                                "; step ids must be unique in the workflow");
        } else {
          id_names_.push_back(s.id);
        }
      } else {
        out_.Error(s.loc, "a step needs an 'id' (letters, digits, '_' and '-')");
      }
      CollectIds(s.children(), std::holds_alternative<ForeachStep>(s.kind) ? &s : foreach);
    }
  }

  // ---- steps ----

  void CheckSteps(const std::vector<Step>& steps, Scope scope) {
    std::vector<std::string> sibling_ids;
    for (const Step& s : steps) sibling_ids.push_back(s.id);
    for (const Step& s : steps) {
      CheckStep(s, scope, sibling_ids);
      if (!s.id.empty()) scope.visible.insert(s.id);
    }
  }

  void CheckStep(const Step& s, const Scope& scope, const std::vector<std::string>& siblings) {
    const std::string label = StepLabel(s);
    if (s.condition) CheckExpression(*s.condition, scope, label, &s, false);
    if (s.timeout) {
      CheckPositive(*s.timeout, "timeout");
      CheckDurationExpressions(*s.timeout, scope, label, &s);
    }
    if (s.retry) CheckRetry(*s.retry, scope, label, &s);
    CheckJumps(s, siblings);

    if (const auto* uses = std::get_if<UsesStep>(&s.kind)) {
      if (options_.check_action) {
        for (ActionProblem& problem : options_.check_action(wf_, s, uses->action)) {
          const SourceLocation at = problem.loc.known() ? problem.loc : s.kind_loc;
          if (problem.warning) {
            out_.Warning(at, std::move(problem.message));
          } else {
            out_.Error(at, std::move(problem.message));
          }
        }
      }
      uses->with.ForEachExpression(
          [&](const Expression& e) { CheckExpression(e, scope, label, &s, true); });
      if (uses->idempotency_key) CheckTemplate(*uses->idempotency_key, scope, label, &s);
    } else if (const auto* rule = std::get_if<RuleStep>(&s.kind)) {
      CheckRule(*rule);
      rule->with.ForEachExpression(
          [&](const Expression& e) { CheckExpression(e, scope, label, &s, false); });
    } else if (const auto* sleep = std::get_if<SleepStep>(&s.kind)) {
      if (sleep->duration) CheckDurationExpressions(*sleep->duration, scope, label, &s);
      if (sleep->until) CheckTemplate(*sleep->until, scope, label, &s);
    } else if (const auto* wait = std::get_if<WaitForStep>(&s.kind)) {
      if (wait->key) {
        CheckExpression(*wait->key, scope, label, &s, false);
        if (!wf_.key) {
          out_.Error(wait->key->loc, "'wait_for.key' of " + label +
                                         " is compared with run.key, but the workflow has no "
                                         "'key'");
        }
      }
      if (wait->where) CheckExpression(*wait->where, scope, label, &s, false);
      CheckPositive(wait->timeout, "wait_for.timeout");
      CheckDurationExpressions(wait->timeout, scope, label, &s);
    } else if (const auto* emit = std::get_if<EmitStep>(&s.kind)) {
      emit->data.ForEachExpression(
          [&](const Expression& e) { CheckExpression(e, scope, label, &s, false); });
    } else if (const auto* respond = std::get_if<RespondStep>(&s.kind)) {
      if (!wf_.HasTrigger("http")) {
        out_.Error(s.kind_loc, "'respond' in " + label +
                                   " answers the caller of an 'http' trigger, but workflow '" +
                                   wf_.name + "' has no 'http' trigger");
      }
      for (const ValueTemplate* v : {&respond->status, &respond->headers, &respond->body}) {
        v->ForEachExpression(
            [&](const Expression& e) { CheckExpression(e, scope, label, &s, false); });
      }
    } else if (const auto* each = std::get_if<ForeachStep>(&s.kind)) {
      each->items.ForEachExpression(
          [&](const Expression& e) { CheckExpression(e, scope, label, &s, false); });
      CheckLoopName(s, *each, scope);
      Scope inner = scope;
      inner.visible.insert(s.id);
      inner.loop_names[each->as] = &s;
      CheckSteps(each->steps, inner);
    } else if (const auto* fail = std::get_if<FailStep>(&s.kind)) {
      CheckTemplate(fail->message, scope, label, &s);
    }
  }

  void CheckLoopName(const Step& s, const ForeachStep& each, const Scope& scope) {
    const SourceLocation& loc = each.as_loc.known() ? each.as_loc : s.kind_loc;
    if (!IsIdentifier(each.as) || kLuaKeywords.count(each.as) > 0) {
      out_.Error(loc, "'as' of " + StepLabel(s) +
                          " must be a Lua name (letters, digits, _), got '" + each.as + "'");
    } else if (kContextNames.count(each.as) > 0) {
      out_.Error(loc, "'as' of " + StepLabel(s) + " cannot be '" + each.as +
                          "': that name is part of every expression's context");
    } else if (auto it = scope.loop_names.find(each.as); it != scope.loop_names.end()) {
      out_.Error(loc, "'as' of " + StepLabel(s) + " reuses '" + each.as +
                          "', the item name of the enclosing foreach '" + it->second->id + "'");
    }
  }

  void CheckJumps(const Step& s, const std::vector<std::string>& siblings) {
    if (s.then.action == NextAction::kGoto)
      CheckJump(s, "then", s.then.target, s.then.loc, siblings);
    if (s.on_error.action == ErrorAction::kGoto) {
      CheckJump(s, "on_error", s.on_error.target, s.on_error.loc, siblings);
    }
  }

  void CheckJump(const Step& s, const std::string& field, const std::string& target,
                 const SourceLocation& loc, const std::vector<std::string>& siblings) {
    if (std::find(siblings.begin(), siblings.end(), target) != siblings.end()) return;
    std::string head = "'" + field + "' of " + StepLabel(s) + " jumps to '" + target + "'";
    if (ids_.count(target) > 0) {
      out_.Error(loc, head +
                          ", which is not in the same list of steps (jumps stay within one "
                          "'steps:' list)");
      return;
    }
    std::string valid = field == "then" ? "end" : "fail, continue";
    std::string msg = head + ", but there is no such step (use a step id or " + valid + ")";
    std::vector<std::string> candidates = siblings;
    if (field == "then") {
      candidates.push_back("end");
    } else {
      candidates.insert(candidates.end(), {"fail", "continue"});
    }
    if (auto match = ClosestMatch(target, candidates)) msg += "; did you mean '" + *match + "'?";
    out_.Error(loc, msg);
  }

  void CheckRetry(const RetryPolicy& retry, const Scope& scope, const std::string& owner,
                  const Step* step) {
    if (retry.attempts < 1) {
      out_.Error(retry.attempts_loc, "retry.attempts of " + owner + " must be at least 1, got " +
                                         std::to_string(retry.attempts));
    }
    CheckDurationExpressions(retry.delay, scope, owner, step);
    if (retry.max_delay) {
      CheckDurationExpressions(*retry.max_delay, scope, owner, step);
      if (retry.delay.is_literal() && retry.max_delay->is_literal() &&
          retry.max_delay->literal() < retry.delay.literal()) {
        out_.Error(retry.max_delay->loc, "retry.max_delay (" +
                                             FormatDuration(retry.max_delay->literal()) +
                                             ") is shorter than retry.delay (" +
                                             FormatDuration(retry.delay.literal()) + ")");
      }
    }
  }

  void CheckPositive(const DurationValue& d, const std::string& field) {
    if (d.loc.known() && d.is_literal() && d.literal().count() <= 0) {
      out_.Error(d.loc, "'" + field + "' must be longer than 0");
    }
  }

  // The secrets an http trigger's `auth:` names exist in the engine's
  // configuration; its JWKS file exists under the root.
  void CheckHttpAuth(const HttpTrigger& http) {
    if (options_.check_secret) {
      for (const NamedRef& secret : http.auth.secrets) {
        if (!options_.check_secret(secret.name)) {
          out_.Error(secret.loc, "unknown secret '" + secret.name + "' (set STOREFLOW_SECRET_" +
                                     SecretEnvName(secret.name) +
                                     " or add it to the secrets file, config key secrets.file)");
        }
      }
    }
    if (!http.auth.jwks.name.empty() && options_.check_rules) {
      std::error_code ec;
      const std::filesystem::path path = options_.root / http.auth.jwks.name;
      if (!std::filesystem::is_regular_file(path, ec)) {
        std::string msg = "JWKS file '" + http.auth.jwks.name + "' not found";
        if (options_.root != ".") msg += " (looked for " + path.string() + ")";
        out_.Error(http.auth.jwks.loc, msg);
      }
    }
  }

  static std::string SecretEnvName(const std::string& name) {
    std::string out;
    for (char c : name) {
      out.push_back(std::isalnum(static_cast<unsigned char>(c))
                        ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                        : '_');
    }
    return out;
  }

  // ---- rules ----

  void CheckRule(const RuleStep& rule) {
    if (rule.script.empty() || !options_.check_rules) return;
    if (!IsIdentifier(rule.function)) {
      out_.Error(rule.loc, "rule function '" + rule.function + "' is not a Lua name");
      return;
    }
    std::error_code ec;
    std::filesystem::path path = options_.root / rule.script;
    if (!std::filesystem::is_regular_file(path, ec)) {
      std::string msg = "rule script '" + rule.script + "' not found";
      if (options_.root != ".") msg += " (looked for " + path.string() + ")";
      out_.Error(rule.loc, msg);
      return;
    }
    auto cached = rule_functions_.find(rule.script);
    if (cached == rule_functions_.end()) {
      Result<std::vector<std::string>> functions =
          sandbox().RuleFunctions(std::filesystem::absolute(path, ec).string());
      if (!functions.ok()) {
        out_.Error(rule.loc, "rule script '" + rule.script +
                                 "' does not load: " + functions.status().message());
        rule_functions_.emplace(rule.script, std::nullopt);
        return;
      }
      cached = rule_functions_.emplace(rule.script, *functions).first;
    }
    if (!cached->second) return;  // already reported
    const std::vector<std::string>& functions = *cached->second;
    if (std::find(functions.begin(), functions.end(), rule.function) == functions.end()) {
      std::string msg =
          "rule script '" + rule.script + "' defines no function '" + rule.function + "'";
      if (functions.empty()) {
        msg += " (it defines none)";
      } else {
        msg += ValidChoicesHint(rule.function, functions, "it defines");
      }
      out_.Error(rule.loc, msg);
    }
  }

  script::Sandbox& sandbox() {
    if (options_.sandbox != nullptr) return *options_.sandbox;
    if (!own_sandbox_) own_sandbox_ = std::make_unique<script::Sandbox>();
    return *own_sandbox_;
  }

  // ---- expressions ----

  void CheckTemplate(const Template& t, const Scope& scope, const std::string& owner,
                     const Step* step) {
    for (const TemplateSegment& seg : t.segments()) {
      if (seg.expression) CheckExpression(*seg.expression, scope, owner, step, false);
    }
  }

  void CheckDurationExpressions(const DurationValue& d, const Scope& scope,
                                const std::string& owner, const Step* step) {
    if (const auto* t = std::get_if<Template>(&d.value)) CheckTemplate(*t, scope, owner, step);
  }

  // `owner` names where the expression is ("step 'x'", "the workflow 'key'");
  // `step` is the step it belongs to (null at the workflow level).
  void CheckExpression(const Expression& e, const Scope& scope, const std::string& owner,
                       const Step* step, bool secrets_allowed) {
    Status syntax = script::CheckExpressionSyntax(e.code, kSyntaxChunk);
    if (!syntax.ok()) {
      int line = 1;
      std::string text;
      SplitLuaError(syntax.message(), line, text);
      out_.Error(e.LocationOfLine(line),
                 "Lua syntax error in expression `" + e.code + "`: " + text);
    }
    if (e.secrets_use && !secrets_allowed) {
      out_.Error(*e.secrets_use,
                 "'secrets' can only be used in 'with:' of a 'uses' step (in " + owner + ")");
    }
    for (const StepReference& ref : e.step_refs) CheckReference(ref, scope, owner, step);
  }

  void CheckReference(const StepReference& ref, const Scope& scope, const std::string& owner,
                      const Step* step) {
    if (scope.visible.count(ref.step_id) > 0) return;
    const std::string written = RefText(ref.step_id);
    auto it = ids_.find(ref.step_id);
    if (step == nullptr) {
      out_.Error(ref.loc, owner + " is evaluated before any step runs; it cannot use " + written);
      return;
    }
    if (it == ids_.end()) {
      std::string msg = written + " in " + owner + " names no step";
      if (auto match = ClosestMatch(ref.step_id, id_names_))
        msg += "; did you mean '" + *match + "'?";
      out_.Error(ref.loc, msg);
      return;
    }
    const StepInfo& target = it->second;
    if (target.step == step) {
      out_.Error(ref.loc, owner + " uses its own output (" + written +
                              "); only earlier steps have output when it runs");
    } else if (target.foreach != nullptr && !IsInside(step, target.foreach)) {
      out_.Error(ref.loc, written + " in " + owner + " refers to a step inside foreach '" +
                              target.foreach->id + "'; outside it, use steps." +
                              target.foreach->id + ".output");
    } else {
      out_.Error(ref.loc, written + " in " + owner + " refers to step '" + ref.step_id +
                              "', which runs later; only earlier steps have output");
    }
  }

  // Whether `step` is nested (at any depth) in `foreach`.
  bool IsInside(const Step* step, const Step* foreach) const {
    auto it = ids_.find(step->id);
    if (it == ids_.end()) return false;
    for (const Step* f = it->second.foreach; f != nullptr;) {
      if (f == foreach) return true;
      auto up = ids_.find(f->id);
      f = up == ids_.end() ? nullptr : up->second.foreach;
    }
    return false;
  }

  const Workflow& wf_;
  const ValidateOptions& options_;
  Diagnostics out_;
  std::map<std::string, StepInfo, std::less<>> ids_;
  std::vector<std::string> id_names_;
  std::map<std::string, std::optional<std::vector<std::string>>> rule_functions_;
  std::unique_ptr<script::Sandbox> own_sandbox_;
};

}  // namespace

Diagnostics ValidateWorkflow(const Workflow& workflow, const ValidateOptions& options) {
  return Validator(workflow, options).Run();
}

}  // namespace storeflow::workflow
