#pragma once

// The `rate_limit:` of a REST trigger: a token bucket per client (the verified
// auth subject, else the remote address), `burst` tokens refilled at
// `per_second`. Memory is bounded: at most `max_clients` buckets; a new client
// at the cap first drops the buckets that are full again (idle clients), then
// the least recently seen one. Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/token_bucket.h"

namespace storeflow::http {

struct ClientRateDecision {
  bool allowed = true;
  std::int64_t retry_after_s = 0;  // when refused: whole seconds, at least 1
};

class ClientRateLimiter {
 public:
  // `now_ms`: a monotonic clock in milliseconds (default steady_clock).
  ClientRateLimiter(double per_second, double burst, std::size_t max_clients = 10'000,
                    std::function<std::int64_t()> now_ms = nullptr);

  // Takes one token of `client`'s bucket.
  ClientRateDecision Take(const std::string& client);
  std::size_t clients() const;

 private:
  struct Entry {
    TokenBucket bucket;
    std::list<std::string>::iterator recent;  // position in recent_
  };
  void MakeRoom(std::int64_t now);

  double per_second_;
  double burst_;
  std::size_t max_clients_;
  std::function<std::int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recent_;  // most recently seen first
};

// The address part of "IP:PORT" / "[IPv6]:PORT" (Request::remote_address).
std::string RemoteHost(std::string_view remote_address);

}  // namespace storeflow::http
