#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "common/status.h"

namespace storeflow {

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "a Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }

  // The error; an OK status when there is a value. A reference, so that
  // `result.status().message()` may be bound to a reference safely.
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace storeflow

// Return early from a function returning Status or Result<T> when `expr` fails.
#define STOREFLOW_RETURN_IF_ERROR(expr)      \
  do {                                       \
    ::storeflow::Status _sf_status = (expr); \
    if (!_sf_status.ok()) return _sf_status; \
  } while (0)
