#pragma once

// Reading the admin API's input — query parameters, path parameters, JSON
// bodies — and turning what is wrong with it into one 400 that names every bad
// parameter or JSON path (with did-you-mean for unknown names and values).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/http_message.h"
#include "store/records.h"

namespace storeflow::http::admin {

// One problem with the input: where ("query", "path" or "body"), the parameter
// name or JSON path ("status", "$.ids[2]"), and what is wrong.
struct InputError {
  std::string in;
  std::string name;
  std::string message;
};

// 400 invalid_argument; message: the first problem (and how many more);
// details: every problem as {in, name, message}.
Response InputErrorResponse(const std::vector<InputError>& errors);
// The error response for a Status from the store or the runtime:
// NotFound 404 not_found, InvalidArgument 400, FailedPrecondition 409 conflict,
// Aborted 409, Unavailable 503, DeadlineExceeded 504, others 500 internal.
Response StatusResponse(const Status& status);
// The HTTP status and error code StatusResponse uses for `status`.
int HttpStatusOf(const Status& status);
std::string_view ErrorCodeOf(const Status& status);

// Query parameters of one request. Unknown names are errors (with the closest
// known name); each getter records a problem instead of failing at once, so one
// response lists them all.
class QueryInput {
 public:
  QueryInput(const Request& request, std::vector<std::string> allowed);

  std::optional<std::string> Text(std::string_view name);
  // A page size: default `fallback`, 1..`max`.
  int Limit(int fallback, int max);
  // A positive id cursor (from a previous page's next_cursor); 0 when absent.
  std::int64_t IdCursor();
  // Epoch milliseconds ("1700000000000") or an ISO-8601 timestamp
  // ("2026-11-21T08:00:00Z"; without an offset it is UTC).
  std::optional<store::TimeMs> Time(std::string_view name);
  std::optional<store::RunStatus> RunStatus(std::string_view name);

  bool ok() const { return errors_.empty(); }
  Response ErrorResponse() const { return InputErrorResponse(errors_); }

 private:
  const Request& request_;
  std::vector<std::string> allowed_;
  std::vector<InputError> errors_;
};

// A positive integer path parameter ("id"); nullopt with `errors` extended otherwise.
std::optional<std::int64_t> PathId(const Request& request, std::string_view name,
                                   std::vector<InputError>& errors);

// The request's JSON body as an object. An empty body is `{}` when
// `optional`. Problems (not JSON, with the parse position; not an object;
// unknown members, with did-you-mean among `allowed`) go to `errors`.
std::optional<Json> JsonObjectBody(const Request& request, bool optional,
                                   const std::vector<std::string>& allowed,
                                   std::vector<InputError>& errors);

// The names of every run status ("queued", "ready", ...).
std::vector<std::string> RunStatusNames();

}  // namespace storeflow::http::admin
