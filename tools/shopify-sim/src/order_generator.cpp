#include "order_generator.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

constexpr std::int64_t kFirstOrderId = 820982911946154508LL;
constexpr std::int64_t kFirstCustomerId = 207119551LL * 1000000000LL;  // > 2^53
constexpr std::int64_t kFirstLineItemId = 466157049LL * 1000000000LL;
constexpr std::int64_t kBaseTimeMs = 1735689600000LL;  // 2025-01-01T00:00:00Z

const char* const kFirstNames[] = {"Ava", "Ben", "Chloe", "Dev", "Emma", "Finn", "Gia", "Hugo"};
const char* const kLastNames[] = {"Moreau", "Okafor", "Tanaka", "Silva", "Novak", "Berg"};
const char* const kItems[] = {"Linen Shirt", "Canvas Tote",  "Wool Socks",
                              "Ceramic Mug", "Leather Belt", "Rain Jacket"};

std::string Money(std::int64_t cents) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return text;
}

nlohmann::json MoneySet(const std::string& amount) {
  const nlohmann::json money = {{"amount", amount}, {"currency_code", "USD"}};
  return {{"shop_money", money}, {"presentment_money", money}};
}

}  // namespace

GeneratedRange GenerateOrders(Shop& shop, int count, std::uint64_t seed) {
  GeneratedRange range;
  if (count <= 0) return range;
  std::mt19937_64 rng(seed ^ std::hash<std::string>{}(shop.config.domain));
  auto& orders = shop.store.table(Resource::kOrders);

  // Continue after the newest order held so updated_at keeps increasing.
  std::int64_t t = kBaseTimeMs;
  for (const auto& [id, e] : orders) t = std::max(t, e.updated_ms + 1000);
  std::int64_t id = kFirstOrderId;
  int order_number = 1001 + static_cast<int>(orders.size());

  const int customer_pool = std::max(1, std::min(count / 10, 500));
  for (int c = 0; c < customer_pool; ++c) {
    const std::int64_t cid = kFirstCustomerId + c;
    if (shop.store.Find(Resource::kCustomers, cid) != nullptr) continue;
    const std::string first = kFirstNames[c % std::size(kFirstNames)];
    const std::string last = kLastNames[(c / 3) % std::size(kLastNames)];
    const std::string ts = FormatRestTime(kBaseTimeMs - 86400000LL + c * 1000LL);
    shop.store.Put(Resource::kCustomers,
                   {{"id", cid},
                    {"email", "customer" + std::to_string(c) + "@example.com"},
                    {"first_name", first},
                    {"last_name", last},
                    {"created_at", ts},
                    {"updated_at", ts},
                    {"orders_count", 0},
                    {"state", "enabled"},
                    {"currency", "USD"},
                    {"verified_email", true},
                    {"tags", ""}});
  }

  for (int i = 0; i < count; ++i) {
    while (shop.store.Find(Resource::kOrders, id) != nullptr) ++id;
    t += 1000 + static_cast<std::int64_t>(rng() % 600000);
    const std::int64_t created = t - static_cast<std::int64_t>(rng() % 3600000);
    const int c = static_cast<int>(rng() % static_cast<std::uint64_t>(customer_pool));
    const Entity* customer = shop.store.Find(Resource::kCustomers, kFirstCustomerId + c);

    nlohmann::json lines = nlohmann::json::array();
    std::int64_t subtotal = 0;
    const int line_count = 1 + static_cast<int>(rng() % 3);
    for (int l = 0; l < line_count; ++l) {
      const int item = static_cast<int>(rng() % std::size(kItems));
      const int quantity = 1 + static_cast<int>(rng() % 4);
      const std::int64_t price = 500 + static_cast<std::int64_t>(rng() % 9500);
      subtotal += price * quantity;
      lines.push_back({{"id", kFirstLineItemId + static_cast<std::int64_t>(i) * 4 + l},
                       {"title", kItems[item]},
                       {"quantity", quantity},
                       {"price", Money(price)},
                       {"price_set", MoneySet(Money(price))},
                       {"sku", "SKU-" + std::to_string(item)},
                       {"product_id", nullptr},
                       {"variant_id", nullptr}});
    }
    const std::int64_t tax = subtotal * 8 / 100;
    const std::string total = Money(subtotal + tax);
    nlohmann::json order = {
        {"id", id},
        {"name", "#" + std::to_string(order_number)},
        {"order_number", order_number},
        {"number", order_number - 1000},
        {"email", customer ? customer->rest["email"] : nlohmann::json(nullptr)},
        {"contact_email", customer ? customer->rest["email"] : nlohmann::json(nullptr)},
        {"created_at", FormatRestTime(created)},
        {"updated_at", FormatRestTime(t)},
        {"processed_at", FormatRestTime(created)},
        {"closed_at", nullptr},
        {"cancelled_at", nullptr},
        {"cancel_reason", nullptr},
        {"currency", "USD"},
        {"presentment_currency", "USD"},
        {"financial_status", "paid"},
        {"fulfillment_status", nullptr},
        {"subtotal_price", Money(subtotal)},
        {"subtotal_price_set", MoneySet(Money(subtotal))},
        {"total_tax", Money(tax)},
        {"total_tax_set", MoneySet(Money(tax))},
        {"total_price", total},
        {"total_price_set", MoneySet(total)},
        {"line_items", std::move(lines)},
        {"tags", ""},
        {"test", false},
        {"customer", customer ? nlohmann::json{{"id", customer->id},
                                               {"email", customer->rest["email"]},
                                               {"first_name", customer->rest["first_name"]},
                                               {"last_name", customer->rest["last_name"]}}
                              : nlohmann::json(nullptr)}};
    shop.store.Put(Resource::kOrders, std::move(order));
    if (range.count == 0) range.first_id = id;
    range.last_id = id;
    ++range.count;
    ++order_number;
    ++id;
  }
  return range;
}

}  // namespace storeflow::shopify_sim
