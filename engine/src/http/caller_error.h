#pragma once

// Errors for callers who are not trusted with internals: webhook senders, REST
// trigger callers, probes. They get a stable code, a short message and the
// request id; the detail (store messages with SQL text, file paths and host
// names, exception texts, a run's error) goes to the log under the same request
// id, where an operator finds it. Errors about the caller's own input (400
// invalid_json, 413, 422 with JSON paths) are not routed through here: they
// stay detailed.

#include <functional>
#include <string_view>

#include "common/status.h"
#include "http/http_message.h"

namespace storeflow::http {

// Where the detail goes: (level, message). Empty: nowhere.
using ErrorLog = std::function<void(std::string_view level, std::string_view message)>;

// {"error": {"code", "message", "request_id"}}; logs "request <id>: <status>
// <code>: <detail>" at level "error".
Response OpaqueError(int status, std::string_view code, std::string_view message,
                     const Request& request, std::string_view detail, const ErrorLog& log);

// A failed publish or store call, for an untrusted caller: kUnavailable (store
// unreachable) and kDeadlineExceeded (commit not done in time) are 503
// `store_unavailable` / `commit_timeout` with Retry-After; anything else is 500
// `store_error`. `what` names what was not stored ("the event").
Response StoreFailure(const Status& failure, std::string_view what, const Request& request,
                      const ErrorLog& log);

// The Retry-After seconds sent with a 503 of StoreFailure.
inline constexpr std::string_view kRetryAfterSeconds = "5";

}  // namespace storeflow::http
