// GET /api/v1/clock and POST /api/v1/clock/advance: the engine's time, and
// moving a manual clock (`storeflow serve --clock manual`) forward through every
// due time on the way (runtime::Engine::AdvanceManualClock).

#include <chrono>
#include <optional>
#include <string>

#include "common/timezone.h"
#include "http/admin_handlers.h"
#include "http/admin_input.h"
#include "script/time_text.h"

namespace storeflow::http::admin {
namespace {

// The longest an advance may take in wall time before it answers 504.
constexpr std::chrono::milliseconds kAdvanceTimeout{120'000};

std::string_view ModeOf(const runtime::Clock& clock) {
  if (clock.is_manual()) return "manual";
  return clock.is_virtual() ? "virtual" : "real";
}

Json ClockJson(const runtime::Clock& clock) {
  const std::int64_t now = clock.Now();
  std::string iso;
  if (!script::FormatTimestamp(now, *TimeZone::Utc(), "", &iso)) iso.clear();
  return {{"now_ms", now}, {"now", iso}, {"mode", ModeOf(clock)}};
}

// A member that is epoch milliseconds or an ISO-8601 timestamp (UTC without an offset).
std::optional<std::int64_t> TimeMember(const Json& body, const char* name,
                                       std::vector<InputError>& errors) {
  const Json& value = body.at(name);
  std::int64_t ms = 0;
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string() &&
      script::ParseIsoTimestamp(value.get<std::string>(), *TimeZone::Utc(), &ms)) {
    return ms;
  }
  errors.push_back({"body", std::string("$.") + name,
                    std::string(name) +
                        " must be epoch milliseconds or an ISO-8601 timestamp such as "
                        "2026-11-21T08:00:00Z"});
  return std::nullopt;
}

}  // namespace

Response ShowClock(Context& context, const Request& request) {
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  return Response::JsonBody(200, ClockJson(context.engine.clock()));
}

Response AdvanceClock(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto body = JsonObjectBody(request, false, {"to", "by_ms"}, errors);
  std::optional<std::int64_t> target;
  if (body) {
    const bool has_to = body->contains("to");
    const bool has_by = body->contains("by_ms");
    if (has_to == has_by) {
      errors.push_back({"body", "$", "give exactly one of to (a time) or by_ms (milliseconds)"});
    } else if (has_to) {
      target = TimeMember(*body, "to", errors);
    } else if (!(*body)["by_ms"].is_number_integer() || (*body)["by_ms"].get<std::int64_t>() < 0) {
      errors.push_back({"body", "$.by_ms", "by_ms must be a whole number of milliseconds >= 0"});
    } else {
      target = context.engine.clock().Now() + (*body)["by_ms"].get<std::int64_t>();
    }
  }
  if (!errors.empty()) return InputErrorResponse(errors);
  auto stops = context.engine.AdvanceManualClock(*target, kAdvanceTimeout);
  if (!stops.ok()) return StatusResponse(stops.status());
  Json out = ClockJson(context.engine.clock());
  out["stops"] = *stops;
  return Response::JsonBody(200, out);
}

}  // namespace storeflow::http::admin
