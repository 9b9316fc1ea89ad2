#pragma once

// Everything the simulator holds: its clock, the shops (config, entities, rate-limit
// buckets, injected faults, the log of received requests, webhook subscriptions) and
// the webhook dispatcher. One mutex guards the shops; handlers hold it for the whole
// request (the simulator is a test tool, not a throughput server).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "call_limits.h"
#include "entity_store.h"
#include "sim_clock.h"

namespace storeflow::shopify_sim {

class WebhookDispatcher;

struct ShopConfig {
  std::string domain;
  std::string admin_token;
  std::string storefront_token;
  std::string webhook_secret;
  std::string plan;
  std::string name;
  std::int64_t shop_id = 0;
};

// An injected fault: the next `remaining` calls of `api` (rest|graphql|storefront|any)
// answer `status` (500/502/503/429/401), or THROTTLED for GraphQL when `throttle`.
struct FaultRule {
  std::string api;
  int status = 0;
  bool throttle = false;
  int remaining = 0;
};

struct WebhookSubscription {
  std::int64_t id = 0;
  std::string address;
  std::string topic;
  std::string format;
  std::string api_version;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  nlohmann::json ToJson() const;
};

struct Shop {
  Shop(ShopConfig config_in, const PlanLimits& limits_in);

  // Consumes one call of the first fault that applies to `api`.
  std::optional<FaultRule> TakeFault(const std::string& api);
  // Appends to the received log (bounded: the oldest entries go first).
  void Record(nlohmann::json entry);

  ShopConfig config;
  PlanLimits limits;
  EntityStore store;
  RestCallBucket rest_bucket;
  CostBucket graphql_bucket;
  std::vector<FaultRule> faults;
  std::deque<nlohmann::json> received;
  std::vector<WebhookSubscription> webhooks;
  std::int64_t next_webhook_id = 1069920190;
};

class Simulator {
 public:
  Simulator();
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  std::mutex& mutex() { return mutex_; }
  SimClock& clock() { return clock_; }
  WebhookDispatcher& dispatcher() { return *dispatcher_; }

  // The shop for `domain`, or null. Callers hold mutex().
  Shop* FindShop(const std::string& domain);
  Shop& AddShop(ShopConfig config, const PlanLimits& limits);
  const std::map<std::string, std::unique_ptr<Shop>>& shops() const { return shops_; }

  // Queues `topic` with `body` for every subscription of `shop` to it. Callers hold mutex().
  void Emit(Shop& shop, const std::string& topic, const nlohmann::json& body);

 private:
  std::mutex mutex_;
  SimClock clock_;
  std::map<std::string, std::unique_ptr<Shop>> shops_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;
};

}  // namespace storeflow::shopify_sim
