#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace storeflow {

// What went wrong, in a form a caller can branch on. Messages are for people:
// they say where (file:line:col, JSON path, header) and what to do.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from a user: a file, a flag, a payload
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a unique name or id is taken
  kFailedPrecondition,  // the system is not in a state that allows this
  kPermissionDenied,    // the caller may not do this (sandbox, auth)
  kResourceExhausted,   // a limit was hit (memory, size, rate)
  kDeadlineExceeded,    // a time or instruction budget ran out
  kUnavailable,         // a peer or store cannot be reached now; retrying may help
  kAborted,             // a conflict (lease lost, concurrent update)
  kCancelled,           // the operation was cancelled
  kUnimplemented,       // not supported (yet)
  kInternal,            // a bug: an invariant did not hold
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: message" (or "ok").
  std::string ToString() const;

  // The same status with `context` prepended to the message ("context: message").
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}
inline Status NotFound(std::string message) {
  return {StatusCode::kNotFound, std::move(message)};
}
inline Status FailedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status PermissionDenied(std::string message) {
  return {StatusCode::kPermissionDenied, std::move(message)};
}
inline Status ResourceExhausted(std::string message) {
  return {StatusCode::kResourceExhausted, std::move(message)};
}
inline Status DeadlineExceeded(std::string message) {
  return {StatusCode::kDeadlineExceeded, std::move(message)};
}
inline Status Unavailable(std::string message) {
  return {StatusCode::kUnavailable, std::move(message)};
}
inline Status Internal(std::string message) {
  return {StatusCode::kInternal, std::move(message)};
}

}  // namespace storeflow
