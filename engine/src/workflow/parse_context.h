#pragma once

// Internal to the loader: reading typed fields out of yaml-cpp nodes while collecting
// every problem as a diagnostic at its position (never throwing, never stopping).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/node/node.h>

#include "workflow/diagnostic.h"
#include "workflow/duration_value.h"
#include "workflow/expression.h"
#include "workflow/model.h"
#include "workflow/template.h"
#include "workflow/value_template.h"
#include "workflow/yaml_source.h"

namespace storeflow::workflow::internal {

// One key of a YAML map.
struct Entry {
  std::string key;
  YAML::Node value;
  SourceLocation key_loc;
  SourceLocation value_loc;  // the key's position when the value is empty
};

// "a map", "a list", "a string", "a number", "true", "nothing"...
std::string Describe(const YAML::Node& node);

// `'a', 'b' and 'c'` style list for messages: "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);

class ParseContext {
 public:
  ParseContext(const YamlSource& source, Diagnostics& diagnostics)
      : source_(source), diagnostics_(diagnostics) {}

  const YamlSource& source() const { return source_; }
  SourceLocation At(const YAML::Node& node) const { return source_.At(node); }
  void Error(const SourceLocation& loc, std::string message) {
    diagnostics_.Error(loc, std::move(message));
  }

  // The keys of `map` in written order. Duplicate keys are reported (the first one
  // is kept); so are non-string keys and, unless `allowed` is empty, keys not in
  // `allowed` ("unknown key 'x' in WHAT (valid keys: ...); did you mean 'y'?").
  std::vector<Entry> Entries(const YAML::Node& map, std::string_view what,
                             const std::vector<std::string>& allowed);

  // Reports "'WHAT' must be EXPECTED, got a list" unless the value has the right shape.
  bool ExpectMap(const Entry& e, std::string_view what);
  bool ExpectList(const Entry& e, std::string_view what);

  // Any scalar as text (a plain number or boolean too).
  std::optional<std::string> String(const Entry& e, std::string_view what);
  // A plain integer literal.
  std::optional<std::int64_t> Integer(const Entry& e, std::string_view what);

  // A bare Lua expression (`if:`, `key:`, ...); a value that is exactly one
  // `${{ expr }}` is accepted as `expr`.
  std::optional<Expression> BareExpression(const Entry& e, std::string_view what);

  // A string that may hold `${{ }}`.
  std::optional<Template> TemplateString(const Entry& e, std::string_view what);

  // Any YAML value, strings parsed as templates.
  ValueTemplate Value(const YAML::Node& node, const SourceLocation& fallback);

  // A duration literal ("30s", "PT4H") or a template.
  std::optional<DurationValue> DurationField(const Entry& e, std::string_view what);

  // One of fixed words.
  template <typename Enum>
  std::optional<Enum> Choice(const Entry& e, std::string_view what,
                             const std::vector<std::pair<std::string, Enum>>& choices) {
    std::optional<std::string> text = String(e, what);
    if (!text) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [name, value] : choices) {
      if (name == *text) return value;
      names.push_back(name);
    }
    ReportBadChoice(e, what, *text, names);
    return std::nullopt;
  }

 private:
  void ReportBadChoice(const Entry& e, std::string_view what, const std::string& text,
                       const std::vector<std::string>& names);
  Template ParseTemplate(const YAML::Node& scalar);

  const YamlSource& source_;
  Diagnostics& diagnostics_;
};

// The parts of the loader, one per section of the file.
std::vector<Trigger> ParseTriggers(ParseContext& ctx, const Entry& on);
std::vector<Step> ParseSteps(ParseContext& ctx, const Entry& steps, std::string_view where);
std::optional<RetryPolicy> ParseRetry(ParseContext& ctx, const Entry& e);
Workflow ParseWorkflow(ParseContext& ctx, const YAML::Node& root);

// The options of the map form of an `http:` trigger (http_trigger_options.cpp);
// false after reporting a problem.
bool ParseHttpAuth(ParseContext& ctx, const Entry& e, HttpAuth& auth);
bool ParseHttpCors(ParseContext& ctx, const Entry& e, HttpCors& cors);
bool ParseHttpRateLimit(ParseContext& ctx, const Entry& e, HttpRateLimit& limit);
// "10/s", "300/m" (or /min), "1000/h": requests per second; nullopt otherwise.
std::optional<double> ParseRate(std::string_view text);

// Names of internal events, `wait_for` events and webhook topics: letters, digits
// and _ - . : / (no spaces).
bool IsValidEventName(std::string_view name);

}  // namespace storeflow::workflow::internal
