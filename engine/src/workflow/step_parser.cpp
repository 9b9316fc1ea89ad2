// The `steps:` section: one map per step, exactly one kind key each.

#include <algorithm>
#include <cctype>

#include <yaml-cpp/yaml.h>

#include "common/did_you_mean.h"
#include "workflow/parse_context.h"

namespace storeflow::workflow::internal {
namespace {

const std::vector<std::string> kStepKinds = {"uses", "rule",    "sleep",   "wait_for",
                                             "emit", "respond", "foreach", "fail"};
const std::vector<std::string> kCommonKeys = {"id", "if", "retry", "timeout", "on_error", "then"};
const std::vector<std::string> kRetryKeys = {"attempts", "backoff", "delay", "max_delay", "jitter"};
const std::vector<std::string> kWaitForKeys = {"event", "key", "where", "timeout"};
const std::vector<std::string> kSleepKeys = {"for", "until"};
const std::vector<std::string> kEmitKeys = {"event", "data"};
const std::vector<std::string> kRespondKeys = {"status", "headers", "body"};
const std::vector<std::string> kFailKeys = {"message"};

const std::vector<std::string>& AllStepKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> all = kCommonKeys;
    all.insert(all.end(), {"with", "idempotency_key", "as", "steps"});
    all.insert(all.end(), kStepKinds.begin(), kStepKinds.end());
    return all;
  }();
  return keys;
}

// "store.put", "email.send", "log": dot-separated words.
bool IsActionName(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.' && prev == '.') return false;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
    prev = c;
  }
  return true;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class StepParser {
 public:
  explicit StepParser(ParseContext& ctx) : ctx_(ctx) {}

  std::optional<Step> Parse(const YAML::Node& node, const SourceLocation& loc) {
    if (!node.IsMap()) {
      ctx_.Error(loc, "a step must be a map with an 'id' and one kind (" + JoinNames(kStepKinds) +
                          "), got " + Describe(node));
      return std::nullopt;
    }
    std::vector<Entry> entries = ctx_.Entries(node, "a step", {});
    Step step;
    step.loc = loc;
    std::string label = "a step";
    for (const Entry& e : entries) {
      if (e.key != "id") continue;
      if (auto id = ctx_.String(e, "id")) {
        step.id = *id;
        step.loc = e.value_loc;
        label = "step '" + step.id + "'";
      }
    }

    std::vector<const Entry*> kinds;
    std::vector<const Entry*> unknown;
    for (const Entry& e : entries) {
      if (Contains(kStepKinds, e.key)) kinds.push_back(&e);
      if (!Contains(AllStepKeys(), e.key)) unknown.push_back(&e);
    }
    const Entry* unknown_kind = nullptr;
    if (kinds.empty()) {
      // With no kind, an unknown key that is not a typo of a common key is most
      // likely a misspelt kind.
      for (const Entry* e : unknown) {
        auto match = ClosestMatch(e->key, AllStepKeys());
        if (!match || Contains(kStepKinds, *match)) {
          unknown_kind = e;
          break;
        }
      }
      if (unknown_kind == nullptr) {
        ctx_.Error(step.loc, label + " has no kind; give it one of: " + JoinNames(kStepKinds));
      }
    }
    for (const Entry* e : unknown) {
      if (e == unknown_kind) {
        ctx_.Error(e->key_loc, "unknown step kind '" + e->key + "' in " + label +
                                   ValidChoicesHint(e->key, kStepKinds, "step kinds"));
      } else {
        ctx_.Error(e->key_loc, "unknown key '" + e->key + "' in " + label +
                                   ValidChoicesHint(e->key, AllStepKeys()));
      }
    }
    for (std::size_t i = 1; i < kinds.size(); ++i) {
      ctx_.Error(kinds[i]->key_loc, label + " has both '" + kinds[0]->key + "' and '" +
                                        kinds[i]->key + "'; a step has exactly one kind");
    }

    const Entry* with = nullptr;
    const Entry* idempotency_key = nullptr;
    const Entry* as = nullptr;
    const Entry* nested = nullptr;
    for (const Entry& e : entries) {
      if (e.key == "with") with = &e;
      if (e.key == "idempotency_key") idempotency_key = &e;
      if (e.key == "as") as = &e;
      if (e.key == "steps") nested = &e;
    }
    const std::string kind = kinds.empty() ? "" : kinds[0]->key;
    if (!kinds.empty()) {
      step.kind_loc = kinds[0]->key_loc;
      ParseKind(*kinds[0], label, with, as, nested, step);
    }
    if (with != nullptr && kind != "uses" && kind != "rule") {
      ctx_.Error(with->key_loc,
                 "'with' only applies to 'uses' and 'rule' steps" + KindNote(label, kind));
    }
    if (idempotency_key != nullptr) {
      if (auto* uses = std::get_if<UsesStep>(&step.kind)) {
        uses->idempotency_key = ctx_.TemplateString(*idempotency_key, "idempotency_key");
      } else {
        ctx_.Error(idempotency_key->key_loc,
                   "'idempotency_key' only applies to 'uses' steps" + KindNote(label, kind));
      }
    }
    for (const Entry* e : {as, nested}) {
      if (e != nullptr && kind != "foreach") {
        ctx_.Error(e->key_loc,
                   "'" + e->key + "' only applies to 'foreach' steps" + KindNote(label, kind));
      }
    }

    for (const Entry& e : entries) {
      if (e.key == "if") {
        step.condition = ctx_.BareExpression(e, "if");
      } else if (e.key == "retry") {
        step.retry = ParseRetry(ctx_, e);
      } else if (e.key == "timeout") {
        step.timeout = ctx_.DurationField(e, "timeout");
      } else if (e.key == "on_error") {
        if (auto text = ctx_.String(e, "on_error")) {
          step.on_error.loc = e.value_loc;
          if (*text == "fail") {
            step.on_error.action = ErrorAction::kFail;
          } else if (*text == "continue") {
            step.on_error.action = ErrorAction::kContinue;
          } else {
            step.on_error.action = ErrorAction::kGoto;
            step.on_error.target = *text;
          }
        }
      } else if (e.key == "then") {
        if (auto text = ctx_.String(e, "then")) {
          step.then.loc = e.value_loc;
          step.then.action = *text == "end" ? NextAction::kEnd : NextAction::kGoto;
          if (*text != "end") step.then.target = *text;
        }
      }
    }
    return step;
  }

 private:
  static std::string KindNote(const std::string& label, const std::string& kind) {
    if (kind.empty()) return "";
    return "; " + label + " is a '" + kind + "' step";
  }

  void ParseKind(const Entry& e, const std::string& label, const Entry* with, const Entry* as,
                 const Entry* nested, Step& step) {
    auto with_value = [&]() -> ValueTemplate {
      if (with == nullptr) return {};
      if (!with->value.IsMap() && !with->value.IsNull()) {
        // Or the inputs computed as a whole: exactly one `${{ }}` (a map when it runs).
        if (with->value.IsScalar()) {
          ValueTemplate whole = ctx_.Value(with->value, with->value_loc);
          const auto* t = std::get_if<Template>(&whole.value());
          if (t != nullptr && t->whole_expression() != nullptr) return whole;
        }
        ctx_.Error(with->value_loc,
                   "'with' must be a map of inputs or exactly one \"${{ }}\" "
                   "that yields one, got " +
                       Describe(with->value));
        return {};
      }
      return ctx_.Value(with->value, with->value_loc);
    };
    if (e.key == "uses") {
      UsesStep uses;
      if (auto action = ctx_.String(e, "uses")) {
        uses.action = *action;
        if (!IsActionName(*action)) {
          ctx_.Error(e.value_loc, "'uses' of " + label +
                                      " must name a plugin action such as 'store.put' or "
                                      "'email.send', got '" +
                                      *action + "'");
        }
      }
      uses.with = with_value();
      step.kind = std::move(uses);
    } else if (e.key == "rule") {
      RuleStep rule;
      rule.loc = e.value_loc;
      if (auto text = ctx_.String(e, "rule")) {
        std::size_t hash = text->rfind('#');
        if (hash == std::string::npos || hash == 0 || hash + 1 == text->size()) {
          ctx_.Error(e.value_loc,
                     "'rule' must be 'path/to/script.lua#function', got '" + *text + "'");
        } else {
          rule.script = text->substr(0, hash);
          rule.function = text->substr(hash + 1);
        }
      }
      rule.with = with_value();
      step.kind = std::move(rule);
    } else if (e.key == "sleep") {
      step.kind = ParseSleep(e);
    } else if (e.key == "wait_for") {
      step.kind = ParseWaitFor(e);
    } else if (e.key == "emit") {
      step.kind = ParseEmit(e);
    } else if (e.key == "respond") {
      step.kind = ParseRespond(e);
    } else if (e.key == "foreach") {
      step.kind = ParseForeach(e, label, as, nested);
    } else if (e.key == "fail") {
      step.kind = ParseFail(e);
    }
  }

  SleepStep ParseSleep(const Entry& e) {
    SleepStep sleep;
    if (!e.value.IsMap()) {
      sleep.duration = ctx_.DurationField(e, "sleep");
      return sleep;
    }
    std::vector<Entry> fields = ctx_.Entries(e.value, "'sleep'", kSleepKeys);
    for (const Entry& f : fields) {
      if (f.key == "for") sleep.duration = ctx_.DurationField(f, "sleep.for");
      if (f.key == "until") sleep.until = ctx_.TemplateString(f, "sleep.until");
    }
    if (fields.size() > 1) {
      ctx_.Error(fields[1].key_loc, "'sleep' takes either 'for' or 'until', not both");
    } else if (fields.empty()) {
      ctx_.Error(e.value_loc, "'sleep' needs 'for: <duration>' or 'until: <time>'");
    }
    return sleep;
  }

  WaitForStep ParseWaitFor(const Entry& e) {
    WaitForStep wait;
    if (!ctx_.ExpectMap(e, "wait_for")) return wait;
    bool has_event = false;
    bool has_timeout = false;
    for (const Entry& f : ctx_.Entries(e.value, "'wait_for'", kWaitForKeys)) {
      if (f.key == "event") {
        has_event = true;
        if (auto name = ctx_.String(f, "wait_for.event")) {
          wait.event = *name;
          if (!IsValidEventName(*name)) {
            ctx_.Error(f.value_loc, "wait_for.event '" + *name +
                                        "' must be an event name such as 'shopify/orders/create'");
          }
        }
      } else if (f.key == "key") {
        wait.key = ctx_.BareExpression(f, "wait_for.key");
      } else if (f.key == "where") {
        wait.where = ctx_.BareExpression(f, "wait_for.where");
      } else if (f.key == "timeout") {
        has_timeout = true;
        if (auto d = ctx_.DurationField(f, "wait_for.timeout")) wait.timeout = *d;
      }
    }
    if (!has_event) ctx_.Error(e.value_loc, "'wait_for' needs 'event' (the event to wait for)");
    if (!has_timeout) {
      ctx_.Error(e.value_loc,
                 "'wait_for' needs 'timeout' (how long to wait; the output is nil then)");
    }
    return wait;
  }

  EmitStep ParseEmit(const Entry& e) {
    EmitStep emit;
    auto check_name = [&](const Entry& f) {
      if (auto name = ctx_.String(f, "emit")) {
        emit.event = *name;
        if (!IsValidEventName(*name)) {
          ctx_.Error(f.value_loc,
                     "event name '" + *name + "' must use letters, digits and _ - . : / only");
        }
      }
    };
    if (!e.value.IsMap()) {
      check_name(e);
      return emit;
    }
    bool has_event = false;
    for (const Entry& f : ctx_.Entries(e.value, "'emit'", kEmitKeys)) {
      if (f.key == "event") {
        has_event = true;
        check_name(f);
      } else {
        emit.data = ctx_.Value(f.value, f.value_loc);
      }
    }
    if (!has_event) ctx_.Error(e.value_loc, "'emit' needs 'event' (the name of the event)");
    return emit;
  }

  RespondStep ParseRespond(const Entry& e) {
    RespondStep respond;
    respond.status = ValueTemplate(nlohmann::json(200), e.value_loc);
    if (e.value.IsNull()) return respond;
    if (!ctx_.ExpectMap(e, "respond")) return respond;
    for (const Entry& f : ctx_.Entries(e.value, "'respond'", kRespondKeys)) {
      if (f.key == "status") {
        respond.status = ctx_.Value(f.value, f.value_loc);
        const auto* literal = std::get_if<nlohmann::json>(&respond.status.value());
        if (literal != nullptr &&
            !(literal->is_number_integer() && literal->get<std::int64_t>() >= 100 &&
              literal->get<std::int64_t>() <= 599)) {
          ctx_.Error(f.value_loc, "'respond.status' must be an HTTP status code (100-599), got " +
                                      Describe(f.value) +
                                      (f.value.IsScalar() ? " '" + f.value.Scalar() + "'" : ""));
        }
      } else if (f.key == "headers") {
        if (f.value.IsMap()) {
          respond.headers = ctx_.Value(f.value, f.value_loc);
        } else {
          ctx_.Error(f.value_loc, "'respond.headers' must be a map, got " + Describe(f.value));
        }
      } else {
        respond.body = ctx_.Value(f.value, f.value_loc);
      }
    }
    return respond;
  }

  ForeachStep ParseForeach(const Entry& e, const std::string& label, const Entry* as,
                           const Entry* nested) {
    ForeachStep each;
    each.items = ctx_.Value(e.value, e.value_loc);
    const auto* literal = std::get_if<nlohmann::json>(&each.items.value());
    const auto* templ = std::get_if<Template>(&each.items.value());
    if ((literal != nullptr && !e.value.IsSequence()) ||
        (templ != nullptr && templ->whole_expression() == nullptr)) {
      ctx_.Error(e.value_loc,
                 "'foreach' needs a list or exactly one '${{ expr }}' that yields a list, got " +
                     Describe(e.value));
    }
    if (as != nullptr) {
      if (auto name = ctx_.String(*as, "as")) {
        each.as = *name;
        each.as_loc = as->value_loc;
      }
    }
    if (nested == nullptr) {
      ctx_.Error(e.key_loc, "foreach " + label + " needs 'steps' (the steps to run for each item)");
    } else {
      each.steps = ParseSteps(ctx_, *nested, "foreach " + label);
    }
    return each;
  }

  FailStep ParseFail(const Entry& e) {
    FailStep fail;
    if (!e.value.IsMap()) {
      if (auto t = ctx_.TemplateString(e, "fail")) fail.message = std::move(*t);
      return fail;
    }
    bool has_message = false;
    for (const Entry& f : ctx_.Entries(e.value, "'fail'", kFailKeys)) {
      has_message = true;
      if (auto t = ctx_.TemplateString(f, "fail.message")) fail.message = std::move(*t);
    }
    if (!has_message) ctx_.Error(e.value_loc, "'fail' needs 'message'");
    return fail;
  }

  ParseContext& ctx_;
};

}  // namespace

std::vector<Step> ParseSteps(ParseContext& ctx, const Entry& steps, std::string_view where) {
  std::vector<Step> out;
  if (!steps.value.IsSequence()) {
    ctx.Error(steps.value_loc, "'steps' of " + std::string(where) +
                                   " must be a list of steps, got " + Describe(steps.value));
    return out;
  }
  if (steps.value.size() == 0) {
    ctx.Error(steps.value_loc, "'steps' of " + std::string(where) + " is empty");
    return out;
  }
  StepParser parser(ctx);
  for (const YAML::Node& item : steps.value) {
    SourceLocation loc = item.IsNull() ? steps.value_loc : ctx.At(item);
    if (auto step = parser.Parse(item, loc)) out.push_back(std::move(*step));
  }
  return out;
}

std::optional<RetryPolicy> ParseRetry(ParseContext& ctx, const Entry& e) {
  RetryPolicy retry;
  retry.loc = e.value_loc;
  retry.attempts_loc = e.value_loc;
  if (e.value.IsScalar()) {  // `retry: 3` = attempts only
    if (auto n = ctx.Integer(e, "retry")) {
      retry.attempts = static_cast<int>(*n);
      return retry;
    }
    return std::nullopt;
  }
  if (!ctx.ExpectMap(e, "retry")) return std::nullopt;
  for (const Entry& f : ctx.Entries(e.value, "'retry'", kRetryKeys)) {
    if (f.key == "attempts") {
      if (auto n = ctx.Integer(f, "retry.attempts")) retry.attempts = static_cast<int>(*n);
      retry.attempts_loc = f.value_loc;
    } else if (f.key == "backoff") {
      if (auto b = ctx.Choice<Backoff>(
              f, "backoff",
              {{"constant", Backoff::kConstant}, {"exponential", Backoff::kExponential}})) {
        retry.backoff = *b;
      }
    } else if (f.key == "delay") {
      if (auto d = ctx.DurationField(f, "retry.delay")) retry.delay = *d;
    } else if (f.key == "max_delay") {
      retry.max_delay = ctx.DurationField(f, "retry.max_delay");
    } else if (f.key == "jitter") {
      if (auto j =
              ctx.Choice<Jitter>(f, "jitter", {{"none", Jitter::kNone}, {"full", Jitter::kFull}})) {
        retry.jitter = *j;
      }
    }
  }
  return retry;
}

}  // namespace storeflow::workflow::internal
