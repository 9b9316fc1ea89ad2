#pragma once

// The built-in `http.request` action (see http_action.cpp for its contract).

#include <chrono>
#include <cstdint>
#include <memory>

#include "runtime/action.h"
#include "runtime/egress_policy.h"

namespace storeflow::runtime {

// What `http.request` may do (http_client.* in docs/operations.md). The
// defaults are the safe ones: public addresses only, 10 MiB, 30 s.
struct HttpClientOptions {
  // Which addresses a request may connect to (checked on every resolved address).
  EgressPolicy egress;
  // The largest response body read; a larger one fails the step (response_too_large).
  std::uint64_t max_response_bytes = std::uint64_t{10} * 1024 * 1024;
  // Wall-clock limit of one request: connect, TLS, send and receive together. A
  // step's `timeout_ms` input and its `timeout` can only shorten it.
  std::chrono::milliseconds total_timeout{30'000};
};

std::shared_ptr<Action> MakeHttpRequestAction(HttpClientOptions options = {});

}  // namespace storeflow::runtime
