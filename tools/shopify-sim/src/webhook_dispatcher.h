#pragma once

// Sends webhook deliveries like Shopify: a POST of the raw JSON body, signed, with
// Shopify's headers; a non-2xx answer or none within 5 s is retried 8 times with
// exponential backoff (56.25 s doubling: 8 retries within 3 h 59 min) on the simulator's
// clock. Faults (drop, duplicate, delay, reorder) apply to the next N new deliveries.
// Deliveries go to loopback addresses only; any other address fails without a
// connection attempt.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "sim_clock.h"

namespace storeflow::shopify_sim {

struct WebhookEvent {
  std::string shop_domain;
  std::string secret;
  std::string topic;
  std::string address;
  std::string api_version;
  std::int64_t subscription_id = 0;
  std::string event_id;
  std::string body;  // the exact bytes sent and signed
  std::int64_t triggered_ms = 0;
};

inline constexpr int kWebhookMaxRetries = 8;
// The first retry's delay; retry k (0-based) waits kWebhookFirstRetryMs << k, so the
// eighth retry comes 255 * 56.25 s = 3 h 59 min after the first attempt ("8 times over
// 4 hours", Shopify's changelog of 2024-09-10).
inline constexpr std::int64_t kWebhookFirstRetryMs = 56250;
inline constexpr int kWebhookConnectTimeoutS = 1;
inline constexpr int kWebhookAnswerTimeoutS = 5;

class WebhookDispatcher {
 public:
  explicit WebhookDispatcher(SimClock& clock);
  ~WebhookDispatcher();

  void Start();  // the background sender (first attempts, due retries)
  void Stop();

  std::string NewId() const;  // a random UUID
  void Enqueue(WebhookEvent event);

  // mode: drop | duplicate | delay | reorder; count >= 1; delay_ms for delay.
  Status AddFault(const std::string& mode, int count, std::int64_t delay_ms);

  // Sends every delivery due by the clock's time now; returns when they are done.
  void RunDue();
  void Notify();

  nlohmann::json DeliveriesJson(const std::string& shop_domain) const;

 private:
  struct Attempt {
    std::int64_t at_ms = 0;
    int status = 0;  // 0: no answer
    std::string error;
  };
  struct Delivery {
    std::string webhook_id;
    WebhookEvent event;
    std::vector<Attempt> attempts;
    std::string state;  // pending | held | delivered | failed | dropped
    std::int64_t due_ms = 0;
    std::int64_t order_key = 0;
    bool duplicate = false;
    std::string fault;
  };
  struct Fault {
    std::string mode;
    int remaining = 0;
    std::int64_t delay_ms = 0;
    int batch = 0;  // reorder: how many the held batch needs
  };

  void Loop();
  Attempt Send(const Delivery& delivery) const;
  void Record(Delivery& delivery, const std::vector<Attempt>& attempts);

  SimClock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::mutex run_mutex_;
  std::deque<std::unique_ptr<Delivery>> deliveries_;
  std::vector<Fault> faults_;
  std::vector<Delivery*> reorder_held_;
  int reorder_batch_ = 0;
  std::int64_t next_order_key_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace storeflow::shopify_sim
