#include "http/admin_input.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/did_you_mean.h"
#include "common/json_nesting.h"
#include "common/timezone.h"
#include "script/time_text.h"

namespace storeflow::http::admin {
namespace {

bool ParsePositive(std::string_view text, std::int64_t* out) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return false;
  *out = value;
  return true;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Response InputErrorResponse(const std::vector<InputError>& errors) {
  Json details = Json::array();
  for (const auto& e : errors) {
    details.push_back({{"in", e.in}, {"name", e.name}, {"message", e.message}});
  }
  std::string message = errors.empty() ? "invalid request" : errors.front().message;
  if (errors.size() > 1) {
    message += " (and " + std::to_string(errors.size() - 1) + " more problem" +
               (errors.size() > 2 ? "s" : "") + ")";
  }
  return Response::Error(400, "invalid_argument", message, details);
}

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

std::string_view ErrorCodeOf(const Status& status) {
  switch (HttpStatusOf(status)) {
    case 404: return "not_found";
    case 400: return "invalid_argument";
    case 409: return "conflict";
    case 503: return "unavailable";
    case 504: return "deadline_exceeded";
    default: return "internal";
  }
}

Response StatusResponse(const Status& status) {
  Response response = Response::Error(HttpStatusOf(status), ErrorCodeOf(status), status.message());
  if (response.status == 503) response.WithHeader("Retry-After", "1");
  return response;
}

QueryInput::QueryInput(const Request& request, std::vector<std::string> allowed)
    : request_(request), allowed_(std::move(allowed)) {
  std::string last;
  for (const auto& [name, value] : request_.query_params) {
    if (std::find(allowed_.begin(), allowed_.end(), name) != allowed_.end()) {
      if (name == last) {
        errors_.push_back(
            {"query", name, "query parameter '" + name + "' is given more than once"});
      }
      last = name;
      continue;
    }
    std::string message = "unknown query parameter '" + name + "'";
    message += allowed_.empty() ? std::string(" (this endpoint takes none)")
                                : ValidChoicesHint(name, allowed_, "valid parameters");
    errors_.push_back({"query", name, std::move(message)});
  }
}

std::optional<std::string> QueryInput::Text(std::string_view name) {
  return request_.Query(name);
}

int QueryInput::Limit(int fallback, int max) {
  auto text = request_.Query("limit");
  if (!text) return fallback;
  std::int64_t value = 0;
  if (!ParsePositive(*text, &value) || value > max) {
    errors_.push_back({"query", "limit",
                       "limit must be a whole number from 1 to " + std::to_string(max) + " (got '" +
                           *text + "')"});
    return fallback;
  }
  return static_cast<int>(value);
}

std::int64_t QueryInput::IdCursor() {
  auto text = request_.Query("cursor");
  if (!text) return 0;
  std::int64_t value = 0;
  if (!ParsePositive(*text, &value)) {
    errors_.push_back({"query", "cursor",
                       "cursor must be the next_cursor of a previous page (got '" + *text + "')"});
    return 0;
  }
  return value;
}

std::optional<store::TimeMs> QueryInput::Time(std::string_view name) {
  auto text = request_.Query(name);
  if (!text) return std::nullopt;
  std::int64_t ms = 0;
  if (AllDigits(*text)) {
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
    if (ec == std::errc() && end == text->data() + text->size()) return ms;
  } else if (script::ParseIsoTimestamp(*text, *TimeZone::Utc(), &ms)) {
    return ms;
  }
  errors_.push_back({"query", std::string(name),
                     std::string(name) +
                         " must be epoch milliseconds or an ISO-8601 timestamp such as "
                         "2026-11-21T08:00:00Z (got '" +
                         *text + "')"});
  return std::nullopt;
}

std::optional<store::RunStatus> QueryInput::RunStatus(std::string_view name) {
  auto text = request_.Query(name);
  if (!text) return std::nullopt;
  auto status = store::ParseRunStatus(*text);
  if (status.ok()) return *status;
  errors_.push_back({"query", std::string(name),
                     std::string(name) + " must be a run status: '" + *text + "' is not one" +
                         ValidChoicesHint(*text, RunStatusNames(), "valid values")});
  return std::nullopt;
}

std::optional<std::int64_t> PathId(const Request& request, std::string_view name,
                                   std::vector<InputError>& errors) {
  auto it = request.path_params.find(std::string(name));
  const std::string text = it == request.path_params.end() ? std::string() : it->second;
  std::int64_t value = 0;
  if (ParsePositive(text, &value)) return value;
  errors.push_back({"path", std::string(name),
                    std::string(name) + " must be a positive whole number (got '" + text + "')"});
  return std::nullopt;
}

std::optional<Json> JsonObjectBody(const Request& request, bool optional,
                                   const std::vector<std::string>& allowed,
                                   std::vector<InputError>& errors) {
  const bool blank = std::all_of(request.body.begin(), request.body.end(),
                                 [](unsigned char c) { return std::isspace(c) != 0; });
  if (blank) {
    if (optional) return Json::object();
    errors.push_back({"body", "$", "a JSON object body is required"});
    return std::nullopt;
  }
  if (const std::size_t at = FindJsonNestingOverflow(request.body); at != std::string::npos) {
    errors.push_back({"body", "$",
                      std::string("the body is not valid JSON: ") + JsonNestingMessage() +
                          " (at byte " + std::to_string(at + 1) + ")"});
    return std::nullopt;
  }
  Json body;
  try {
    body = Json::parse(request.body);
  } catch (const Json::parse_error& e) {
    errors.push_back(
        {"body", "$", "the body is not valid JSON (at byte " + std::to_string(e.byte) + ")"});
    return std::nullopt;
  }
  if (!body.is_object()) {
    errors.push_back({"body", "$", "the body must be a JSON object"});
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& [name, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    errors.push_back(
        {"body", "$." + name,
         "unknown member '" + name + "'" + ValidChoicesHint(name, allowed, "valid members")});
    ok = false;
  }
  if (!ok) return std::nullopt;
  return body;
}

std::vector<std::string> RunStatusNames() {
  using store::RunStatus;
  std::vector<std::string> names;
  for (RunStatus status :
       {RunStatus::kQueued, RunStatus::kReady, RunStatus::kRunning, RunStatus::kSleeping,
        RunStatus::kWaiting, RunStatus::kCompleted, RunStatus::kFailed, RunStatus::kCancelled,
        RunStatus::kRejected, RunStatus::kSkipped}) {
    names.emplace_back(store::RunStatusName(status));
  }
  return names;
}

}  // namespace storeflow::http::admin
