#pragma once

// A YAML value tree (the `with:` of a step, `respond:` bodies, `emit` data) whose
// strings may hold `${{ }}` templates. Rendering turns it into JSON.

#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "script/sandbox.h"
#include "workflow/template.h"

namespace storeflow::workflow {

class ValueTemplate {
 public:
  using Array = std::vector<ValueTemplate>;
  using Object = std::vector<std::pair<std::string, ValueTemplate>>;  // in written order
  // A scalar without expressions is kept as its JSON value (null, bool, number,
  // string); a string with expressions as a Template.
  using Value = std::variant<nlohmann::json, Template, Array, Object>;

  ValueTemplate() : value_(nlohmann::json()) {}
  ValueTemplate(Value value, SourceLocation loc) : value_(std::move(value)), loc_(std::move(loc)) {}

  // A literal tree (no expressions): JSON strings are taken as they are.
  static ValueTemplate FromJson(const nlohmann::json& json, SourceLocation loc = {});

  const Value& value() const { return value_; }
  const SourceLocation& loc() const { return loc_; }

  bool is_null() const;
  bool is_object() const { return std::holds_alternative<Object>(value_); }
  // The entry `key` of an object, or nullptr.
  const ValueTemplate* Find(std::string_view key) const;

  // Calls `fn` for every expression in the tree (depth first, written order).
  void ForEachExpression(const std::function<void(const Expression&)>& fn) const;

 private:
  Value value_;
  SourceLocation loc_;
};

// Evaluates every template of the tree (see Template for whole-value typing) and
// returns the JSON value. Object keys are literal.
Result<nlohmann::json> Render(const ValueTemplate& value, script::Sandbox& sandbox,
                              const nlohmann::json& context, const script::CallContext& call = {});

}  // namespace storeflow::workflow
