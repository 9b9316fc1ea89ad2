#include "workflow/duration_value.h"

#include <cmath>

namespace storeflow::workflow {

Result<Duration> DurationFromJson(const nlohmann::json& value) {
  if (value.is_string()) return ParseDuration(value.get<std::string>());
  if (value.is_number()) {
    double seconds = value.get<double>();
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e12) {
      return InvalidArgument("invalid duration " + value.dump() +
                             ": a number of seconds must be between 0 and 1e12");
    }
    return Duration(static_cast<std::int64_t>(std::llround(seconds * 1000)));
  }
  return InvalidArgument("invalid duration " + value.dump() +
                         ": expected a string like \"30s\" or a number of seconds");
}

Result<Duration> Resolve(const DurationValue& d, script::Sandbox& sandbox,
                         const nlohmann::json& context, const script::CallContext& call) {
  if (d.is_literal()) return d.literal();
  Result<nlohmann::json> value = Evaluate(std::get<Template>(d.value), sandbox, context, call);
  if (!value.ok()) return value.status();
  Result<Duration> duration = DurationFromJson(*value);
  if (!duration.ok()) return duration.status().WithContext(d.loc.ToString());
  return duration;
}

}  // namespace storeflow::workflow
