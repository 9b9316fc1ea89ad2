#pragma once

// Signed Shopify `orders/create` webhooks sent to `storeflow serve` over loopback
// by load threads, with a log of every request and its answer. Each order has
// one body and one X-Shopify-Webhook-Id, so a resend is a real redelivery: every
// `repeat_every`-th request resends an order that was already acknowledged, and
// an order whose request got no answer (the server was killed or away) is sent
// again later, as Shopify would.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace storeflow::chaos {

// Milliseconds since the Unix epoch (system clock: comparable with the server's
// and the SMTP peer's timestamps on this machine).
std::int64_t UnixMs();

struct LoadOptions {
  std::string secret;  // the shopify webhook secret the server is configured with
  std::string tag;     // makes webhook ids unique to one test
  int threads = 2;
  std::chrono::milliseconds pause{20};  // between two requests of one thread
  int repeat_every = 5;                 // every Nth request resends an acknowledged order
  std::chrono::seconds request_timeout{15};
  std::uint32_t seed = 1;
};

// One request and its answer.
struct Delivery {
  std::int64_t order = 0;
  bool resend = false;     // the order had been sent before
  int status = 0;          // HTTP status; 0 = no answer (refused, reset, timed out)
  bool duplicate = false;  // 200 {"duplicate": true}
  std::int64_t event_id = 0;
  std::vector<std::int64_t> runs;
  std::int64_t sent_ms = 0;
  std::int64_t answered_ms = 0;
  std::string detail;  // the body of a non-200 answer, or the transport error
};

class WebhookLoad {
 public:
  // `port` gives the server's current port, 0 while there is none (the load
  // threads then wait); it is asked before every request.
  WebhookLoad(LoadOptions options, std::function<std::uint16_t()> port);
  ~WebhookLoad() { Stop(); }
  WebhookLoad(const WebhookLoad&) = delete;
  WebhookLoad& operator=(const WebhookLoad&) = delete;

  void Start();
  void Stop();  // waits for the requests in flight

  // Every request so far, in the order they were answered.
  std::vector<Delivery> Log() const;

  // The body and webhook id of `order` (the same on every send).
  static std::string Body(std::int64_t order, const std::string& tag);
  std::string WebhookId(std::int64_t order) const;

  // Sends `order` once to `port` and returns what came back.
  Delivery Send(std::uint16_t port, std::int64_t order) const;

 private:
  void Loop(int index);
  std::int64_t NextOrder(std::mt19937& random, bool* resend);

  LoadOptions options_;
  std::function<std::uint16_t()> port_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<Delivery> log_;
  std::vector<std::int64_t> acked_;       // orders answered 200 at least once
  std::vector<std::int64_t> unanswered_;  // orders waiting for a resend
  std::int64_t next_order_ = 0;
  std::int64_t requests_ = 0;
};

// The first order number: Shopify-sized ids (beyond 32 bits).
inline constexpr std::int64_t kFirstOrder = 5'100'000'000'000;

}  // namespace storeflow::chaos
