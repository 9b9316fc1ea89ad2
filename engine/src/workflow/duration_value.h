#pragma once

// A duration field: a literal checked when the workflow loads ("30s", "PT4H"), or a
// template resolved at run time ("${{ config.abandon_after }}").

#include <variant>

#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "common/result.h"
#include "script/sandbox.h"
#include "workflow/template.h"

namespace storeflow::workflow {

struct DurationValue {
  std::variant<Duration, Template> value = Duration{0};
  SourceLocation loc;

  bool is_literal() const { return std::holds_alternative<Duration>(value); }
  // The literal value (only when is_literal()).
  Duration literal() const { return std::get<Duration>(value); }
};

// The duration a value stands for now. A template may yield a duration string
// ("90s", "PT1M") or a number of seconds; anything else (or a negative value) is an
// InvalidArgument naming the field's position.
Result<Duration> Resolve(const DurationValue& d, script::Sandbox& sandbox,
                         const nlohmann::json& context, const script::CallContext& call = {});

// The same conversion for an already evaluated value.
Result<Duration> DurationFromJson(const nlohmann::json& value);

}  // namespace storeflow::workflow
