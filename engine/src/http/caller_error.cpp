#include "http/caller_error.h"

#include <string>

namespace storeflow::http {

Response OpaqueError(int status, std::string_view code, std::string_view message,
                     const Request& request, std::string_view detail, const ErrorLog& log) {
  if (log) {
    std::string line = "request ";
    line.append(request.request_id.empty() ? "-" : request.request_id)
        .append(": ")
        .append(std::to_string(status))
        .append(" ")
        .append(code)
        .append(": ")
        .append(detail);
    log("error", line);
  }
  Json error = {{"code", code}, {"message", message}, {"request_id", request.request_id}};
  return Response::JsonBody(status, {{"error", error}});
}

Response StoreFailure(const Status& failure, std::string_view what, const Request& request,
                      const ErrorLog& log) {
  const std::string subject(what);
  const std::string detail = failure.ToString();
  switch (failure.code()) {
    case StatusCode::kUnavailable:
      return OpaqueError(503, "store_unavailable",
                         subject + " was not stored: the store is unavailable; retry later",
                         request, detail, log)
          .WithHeader("Retry-After", std::string(kRetryAfterSeconds));
    case StatusCode::kDeadlineExceeded:
      return OpaqueError(503, "commit_timeout",
                         subject +
                             " was not acknowledged in time; retry later (it may have been "
                             "stored: a retry of a deduplicated delivery is then a duplicate)",
                         request, detail, log)
          .WithHeader("Retry-After", std::string(kRetryAfterSeconds));
    default:
      return OpaqueError(500, "store_error",
                         subject + " was not stored because of an internal error; retry later",
                         request, detail, log)
          .WithHeader("Retry-After", std::string(kRetryAfterSeconds));
  }
}

}  // namespace storeflow::http
