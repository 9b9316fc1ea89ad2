#pragma once

// Errors inside the store module. Internally code throws StoreError (carrying the
// Status to return); every public entry point runs its body through Guarded(),
// which turns any exception into a Status. Poco exceptions are converted where
// they are caught (sql_connection.cpp, the backends' Open); none leave the module.

#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace storeflow::store::internal {

class StoreError : public std::exception {
 public:
  explicit StoreError(Status status) : status_(std::move(status)) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  Status status_;
};

inline Status Aborted(std::string message) {
  return {StatusCode::kAborted, std::move(message)};
}

// `status` with every occurrence of `secret` (a password) replaced by "***".
Status Redact(const Status& status, const std::string& secret);

// Runs `body` (returning Status or Result<T>) and converts what it throws.
// `operation` names the store call in messages of internal errors.
template <typename F>
auto Guarded(const std::string& secret, std::string_view operation, F&& body) -> decltype(body()) {
  Status failure;
  try {
    return body();
  } catch (const StoreError& e) {
    failure = e.status();
    if (failure.code() == StatusCode::kInternal) failure = failure.WithContext(operation);
  } catch (const nlohmann::json::exception& e) {
    failure = Internal(std::string(operation) + ": unreadable JSON in the database: " + e.what());
  } catch (const std::bad_alloc&) {
    failure = ResourceExhausted(std::string(operation) + ": out of memory");
  } catch (const std::exception& e) {
    failure = Internal(std::string(operation) + ": " + e.what());
  }
  return Redact(failure, secret);
}

}  // namespace storeflow::store::internal
