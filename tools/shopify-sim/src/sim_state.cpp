#include "sim_state.h"

#include "http_types.h"
#include "time_text.h"
#include "webhook_dispatcher.h"

namespace storeflow::shopify_sim {
namespace {
constexpr std::size_t kReceivedLogLimit = 100000;
}  // namespace

nlohmann::json WebhookSubscription::ToJson() const {
  return {{"id", id},
          {"address", address},
          {"topic", topic},
          {"created_at", FormatRestTime(created_ms)},
          {"updated_at", FormatRestTime(updated_ms)},
          {"format", format},
          {"fields", nlohmann::json::array()},
          {"metafield_namespaces", nlohmann::json::array()},
          {"api_version", api_version},
          {"private_metafield_namespaces", nlohmann::json::array()}};
}

Shop::Shop(ShopConfig config_in, const PlanLimits& limits_in)
    : config(std::move(config_in)),
      limits(limits_in),
      rest_bucket(limits_in.rest_capacity, limits_in.rest_leak_per_s),
      graphql_bucket(limits_in.graphql_capacity, limits_in.graphql_restore_per_s) {}

std::optional<FaultRule> Shop::TakeFault(const std::string& api) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->api != "any" && it->api != api) continue;
    if (it->throttle && api != "graphql") continue;
    FaultRule taken = *it;
    if (--it->remaining <= 0) faults.erase(it);
    return taken;
  }
  return std::nullopt;
}

void Shop::Record(nlohmann::json entry) {
  received.push_back(std::move(entry));
  while (received.size() > kReceivedLogLimit) received.pop_front();
}

Simulator::Simulator() : dispatcher_(std::make_unique<WebhookDispatcher>(clock_)) {}

Simulator::~Simulator() {
  dispatcher_->Stop();
}

Shop* Simulator::FindShop(const std::string& domain) {
  const auto it = shops_.find(domain);
  return it == shops_.end() ? nullptr : it->second.get();
}

Shop& Simulator::AddShop(ShopConfig config, const PlanLimits& limits) {
  auto shop = std::make_unique<Shop>(config, limits);
  Shop& ref = *shop;
  shops_[config.domain] = std::move(shop);
  return ref;
}

void Simulator::Emit(Shop& shop, const std::string& topic, const nlohmann::json& body) {
  const std::int64_t now = clock_.NowMs();
  const std::string payload = DumpJson(body);
  const std::string event_id = dispatcher_->NewId();
  for (const auto& sub : shop.webhooks) {
    if (sub.topic != topic) continue;
    WebhookEvent event;
    event.shop_domain = shop.config.domain;
    event.secret = shop.config.webhook_secret;
    event.topic = topic;
    event.address = sub.address;
    event.api_version = sub.api_version;
    event.subscription_id = sub.id;
    event.event_id = event_id;
    event.body = payload;
    event.triggered_ms = now;
    dispatcher_->Enqueue(std::move(event));
  }
}

}  // namespace storeflow::shopify_sim
