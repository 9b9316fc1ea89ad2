#include "http/client_rate_limit.h"

#include <algorithm>
#include <cctype>

namespace storeflow::http {

ClientRateLimiter::ClientRateLimiter(double per_second, double burst, std::size_t max_clients,
                                     std::function<std::int64_t()> now_ms)
    : per_second_(per_second),
      burst_(burst),
      max_clients_(std::max<std::size_t>(1, max_clients)),
      now_ms_(std::move(now_ms)) {
  if (!now_ms_) {
    now_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

void ClientRateLimiter::MakeRoom(std::int64_t now) {
  // Idle clients first (oldest first: they are at the back), then the least recent.
  for (auto it = recent_.end(); it != recent_.begin() && entries_.size() >= max_clients_;) {
    --it;
    auto entry = entries_.find(*it);
    if (BucketFull(entry->second.bucket, now, burst_, per_second_)) {
      entries_.erase(entry);
      it = recent_.erase(it);
    }
  }
  while (entries_.size() >= max_clients_ && !recent_.empty()) {
    entries_.erase(recent_.back());
    recent_.pop_back();
  }
}

ClientRateDecision ClientRateLimiter::Take(const std::string& client) {
  const std::int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  auto it = entries_.find(client);
  if (it == entries_.end()) {
    MakeRoom(now);
    recent_.push_front(client);
    it = entries_.emplace(client, Entry{FullBucket(burst_, now), recent_.begin()}).first;
  } else {
    recent_.splice(recent_.begin(), recent_, it->second.recent);
  }
  const TokenTake take = TakeTokens(it->second.bucket, now, burst_, per_second_, 1);
  if (take.taken) return {};
  const std::int64_t ms = take.retry_after_ms < 0 ? 3'600'000 : take.retry_after_ms;
  return {false, std::max<std::int64_t>(1, (ms + 999) / 1000)};
}

std::size_t ClientRateLimiter::clients() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::string RemoteHost(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    const auto close = remote.find(']');
    if (close != std::string_view::npos) return std::string(remote.substr(1, close - 1));
  }
  const auto colon = remote.rfind(':');
  // One colon: IPv4 "a.b.c.d:port"; several: a bare IPv6 address (no port).
  if (colon != std::string_view::npos && remote.find(':') == colon && colon + 1 < remote.size() &&
      std::all_of(remote.begin() + static_cast<std::ptrdiff_t>(colon) + 1, remote.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return std::string(remote.substr(0, colon));
  }
  return std::string(remote);
}

}  // namespace storeflow::http
