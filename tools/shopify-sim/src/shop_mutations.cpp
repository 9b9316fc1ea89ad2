#include "shop_mutations.h"

#include <algorithm>
#include <cstdio>

#include "fixtures.h"
#include "time_text.h"
#include "webhook_dispatcher.h"

namespace storeflow::shopify_sim {
namespace {

std::string Money(std::int64_t cents) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return text;
}

std::optional<std::int64_t> Cents(const nlohmann::json& price) {
  if (!price.is_string()) return std::nullopt;
  const std::string text = price.get<std::string>();
  const auto dot = text.find('.');
  try {
    std::int64_t whole = std::stoll(text.substr(0, dot));
    std::int64_t frac = 0;
    if (dot != std::string::npos) {
      std::string f = text.substr(dot + 1) + "00";
      frac = std::stoll(f.substr(0, 2));
    }
    return whole * 100 + frac;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

nlohmann::json MoneySet(const std::string& amount) {
  const nlohmann::json money = {{"amount", amount}, {"currency_code", "USD"}};
  return {{"shop_money", money}, {"presentment_money", money}};
}

// The variant `variant_id` and its product, when some product holds it.
std::pair<const nlohmann::json*, const Entity*> FindVariant(Shop& shop, std::int64_t variant_id) {
  for (const auto& [id, product] : shop.store.table(Resource::kProducts)) {
    const auto it = product.rest.find("variants");
    if (it == product.rest.end() || !it->is_array()) continue;
    for (const auto& v : *it) {
      if (v.contains("id") && IdFromJson(v["id"]) == variant_id) return {&v, &product};
    }
  }
  return {nullptr, nullptr};
}

Result<nlohmann::json> BuildLines(Shop& shop, const nlohmann::json& lines) {
  if (!lines.is_array()) return InvalidArgument("$.lines: an array is required");
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = "$.lines[" + std::to_string(i) + "]";
    const auto& line = lines[i];
    if (!line.is_object() || !line.contains("variant_id")) {
      return InvalidArgument(where + ".variant_id: required");
    }
    const auto variant_id = IdFromJson(line["variant_id"]);
    if (!variant_id) return InvalidArgument(where + ".variant_id: an integer id or GID");
    const auto qty_it = line.find("quantity");
    const int quantity =
        qty_it != line.end() && qty_it->is_number_integer() ? qty_it->get<int>() : 1;
    if (quantity < 1) return InvalidArgument(where + ".quantity: 1 or more");
    const auto [variant, product] = FindVariant(shop, *variant_id);
    std::string price = line.value("price", variant ? variant->value("price", "0.00") : "0.00");
    const auto cents = Cents(nlohmann::json(price));
    if (!cents) return InvalidArgument(where + ".price: a decimal string such as \"19.99\"");
    std::string title = StringField(line, "title");
    if (title.empty()) {
      title = product ? StringField(product->rest, "title") : "Item";
      if (variant && StringField(*variant, "title") != "Default Title") {
        title += " - " + StringField(*variant, "title");
      }
    }
    const std::string line_price = Money(*cents * quantity);
    out.push_back({{"id", *variant_id},
                   {"key", std::to_string(*variant_id) + ":" + std::to_string(i)},
                   {"quantity", quantity},
                   {"variant_id", *variant_id},
                   {"product_id", product ? nlohmann::json(product->id) : nlohmann::json(nullptr)},
                   {"title", title},
                   {"variant_title", variant ? StringField(*variant, "title") : ""},
                   {"product_title", product ? StringField(product->rest, "title") : title},
                   {"handle", product ? StringField(product->rest, "handle") : ""},
                   {"sku", variant ? variant->value("sku", nlohmann::json(nullptr)) : nullptr},
                   {"vendor", product ? StringField(product->rest, "vendor") : ""},
                   {"price", Money(*cents)},
                   {"original_price", Money(*cents)},
                   {"discounted_price", Money(*cents)},
                   {"line_price", line_price},
                   {"original_line_price", line_price},
                   {"total_discount", "0.00"},
                   {"discounts", nlohmann::json::array()},
                   {"properties", nullptr},
                   {"gift_card", false},
                   {"taxable", true},
                   {"price_set", MoneySet(Money(*cents))},
                   {"line_price_set", MoneySet(line_price)}});
  }
  return out;
}

std::int64_t LinesTotalCents(const nlohmann::json& lines) {
  std::int64_t total = 0;
  for (const auto& l : lines)
    total += Cents(l.value("line_price", nlohmann::json("0.00"))).value_or(0);
  return total;
}

}  // namespace

std::string TopicFor(Resource r, const std::string& action) {
  std::string verb = action;
  if (r == Resource::kOrders && action == "update") verb = "updated";
  return std::string(ResourceName(r)) + "/" + verb;
}

Result<nlohmann::json> CreateEntity(Simulator& sim, Shop& shop, Resource r, nlohmann::json fields) {
  if (!fields.is_object())
    return InvalidArgument("$: an object with the entity's fields is expected");
  if (fields.contains("id") && !fields["id"].is_null()) {
    const auto id = IdFromJson(fields["id"]);
    if (!id) return InvalidArgument("$.id: an integer id or GID");
    if (shop.store.Find(r, *id) != nullptr) {
      return Status(StatusCode::kAlreadyExists, "$.id: " + std::string(SingularName(r)) + " " +
                                                    std::to_string(*id) +
                                                    " exists; use PUT to change it");
    }
  } else {
    fields["id"] = shop.store.NextId();
  }
  const std::string now = FormatRestTime(sim.clock().NowMs());
  if (!fields.contains("created_at")) fields["created_at"] = now;
  if (!fields.contains("updated_at")) fields["updated_at"] = now;
  if (r == Resource::kOrders) {
    for (const char* key : {"closed_at", "cancelled_at"}) {
      if (!fields.contains(key)) fields[key] = nullptr;
    }
  }
  if (r == Resource::kCheckouts && !fields.contains("completed_at"))
    fields["completed_at"] = nullptr;
  nlohmann::json metafields =
      fields.contains("metafields") ? fields["metafields"] : nlohmann::json();
  fields.erase("metafields");
  const std::int64_t id = *IdFromJson(fields["id"]);
  STOREFLOW_RETURN_IF_ERROR(AddEntityFromJson(shop, r, std::move(fields), "$"));
  Entity& e = *shop.store.Find(r, id);
  if (r == Resource::kProducts && metafields.is_array()) {
    SetMetafields(shop, e, metafields, sim.clock().NowMs());
  }
  sim.Emit(shop, TopicFor(r, "create"), e.rest);
  return e.rest;
}

Result<nlohmann::json> UpdateEntity(Simulator& sim, Shop& shop, Resource r, std::int64_t id,
                                    const nlohmann::json& fields) {
  if (!fields.is_object()) return InvalidArgument("$: an object with the fields to change");
  Entity* e = shop.store.Find(r, id);
  if (e == nullptr) {
    return NotFound(std::string(SingularName(r)) + " " + std::to_string(id) + " does not exist");
  }
  nlohmann::json rest = e->rest;
  for (const auto& [key, value] : fields.items()) {
    if (key == "id" || key == "admin_graphql_api_id" || key == "metafields") continue;
    rest[key] = value;
  }
  if (!fields.contains("updated_at")) rest["updated_at"] = FormatRestTime(sim.clock().NowMs());
  STOREFLOW_RETURN_IF_ERROR(AddEntityFromJson(shop, r, std::move(rest), "$"));
  e = shop.store.Find(r, id);
  if (r == Resource::kProducts && fields.contains("metafields")) {
    SetMetafields(shop, *e, fields["metafields"], sim.clock().NowMs());
  }
  sim.Emit(shop, TopicFor(r, "update"), e->rest);
  return e->rest;
}

Status DeleteEntity(Simulator& sim, Shop& shop, Resource r, std::int64_t id) {
  if (!shop.store.Erase(r, id)) {
    return NotFound(std::string(SingularName(r)) + " " + std::to_string(id) + " does not exist");
  }
  sim.Emit(shop, TopicFor(r, "delete"), {{"id", id}});
  return Status::Ok();
}

void SetMetafields(Shop& shop, Entity& product, const nlohmann::json& metafields,
                   std::int64_t now_ms) {
  if (!metafields.is_array()) return;
  const std::string now = FormatRestTime(now_ms);
  for (const auto& m : metafields) {
    if (!m.is_object()) continue;
    const std::string ns = StringField(m, "namespace");
    const std::string key = StringField(m, "key");
    nlohmann::json stored = {{"namespace", ns},
                             {"key", key},
                             {"type", m.value("type", "single_line_text_field")},
                             {"value", m.contains("value") ? m["value"] : nlohmann::json("")},
                             {"updated_at", now}};
    bool replaced = false;
    for (auto& existing : product.metafields) {
      if (existing["namespace"] == ns && existing["key"] == key) {
        stored["id"] = existing.value("id", nlohmann::json(shop.store.NextId()));
        stored["created_at"] = existing.value("created_at", now);
        existing = stored;
        replaced = true;
      }
    }
    if (!replaced) {
      stored["id"] = shop.store.NextId();
      stored["created_at"] = now;
      product.metafields.push_back(std::move(stored));
    }
  }
}

nlohmann::json RestMetafield(const Entity& product, const nlohmann::json& m) {
  const std::int64_t id = IdFromJson(m.value("id", nlohmann::json())).value_or(0);
  return {{"id", id},
          {"namespace", m.value("namespace", "")},
          {"key", m.value("key", "")},
          {"value", m.value("value", nlohmann::json(""))},
          {"description", nullptr},
          {"owner_id", product.id},
          {"created_at", m.value("created_at", nlohmann::json(nullptr))},
          {"updated_at", m.value("updated_at", nlohmann::json(nullptr))},
          {"owner_resource", "product"},
          {"type", m.value("type", "single_line_text_field")},
          {"admin_graphql_api_id", MakeGid("Metafield", id)}};
}

Result<nlohmann::json> CreateCart(Simulator& sim, Shop& shop, const nlohmann::json& body) {
  if (!body.is_object())
    return InvalidArgument("$: an object {\"lines\": [...], \"email\"?} is expected");
  auto lines = BuildLines(shop, body.contains("lines") ? body["lines"] : nlohmann::json::array());
  if (!lines.ok()) return lines.status();
  std::string token = StringField(body, "token");
  if (token.empty()) {
    token = "c1-" + sim.dispatcher().NewId();
    token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
    token.insert(2, "-");
  }
  if (shop.store.carts().count(token) > 0) {
    return Status(StatusCode::kAlreadyExists, "$.token: a cart " + token + " exists");
  }
  const std::int64_t now = sim.clock().NowMs();
  Cart cart;
  cart.token = token;
  cart.email = StringField(body, "email");
  cart.created_ms = now;
  cart.updated_ms = now;
  cart.rest = {{"id", token},
               {"token", token},
               {"line_items", std::move(*lines)},
               {"note", body.value("note", nlohmann::json(nullptr))},
               {"updated_at", FormatUtcTimeMs(now)},
               {"created_at", FormatUtcTimeMs(now)}};
  const nlohmann::json rest = cart.rest;
  shop.store.carts()[token] = std::move(cart);
  sim.Emit(shop, "carts/create", rest);
  return rest;
}

Result<nlohmann::json> UpdateCart(Simulator& sim, Shop& shop, const std::string& token,
                                  const nlohmann::json& body) {
  auto it = shop.store.carts().find(token);
  if (it == shop.store.carts().end() || it->second.converted) {
    return NotFound("cart " + token + " does not exist (or became an order)");
  }
  if (!body.is_object())
    return InvalidArgument("$: an object {\"lines\"?, \"email\"?} is expected");
  Cart& cart = it->second;
  if (body.contains("lines")) {
    auto lines = BuildLines(shop, body["lines"]);
    if (!lines.ok()) return lines.status();
    cart.rest["line_items"] = std::move(*lines);
  }
  if (body.contains("email") && body["email"].is_string()) cart.email = body["email"];
  cart.updated_ms = sim.clock().NowMs();
  cart.rest["updated_at"] = FormatUtcTimeMs(cart.updated_ms);
  sim.Emit(shop, "carts/update", cart.rest);
  return cart.rest;
}

Result<nlohmann::json> ConvertCart(Simulator& sim, Shop& shop, const std::string& token) {
  auto it = shop.store.carts().find(token);
  if (it == shop.store.carts().end()) return NotFound("cart " + token + " does not exist");
  Cart& cart = it->second;
  if (cart.converted) {
    return Status(StatusCode::kFailedPrecondition,
                  "cart " + token + " already became order " + std::to_string(*cart.order_id));
  }
  const std::int64_t now = sim.clock().NowMs();
  const std::int64_t id = shop.store.NextId();
  const std::int64_t subtotal = LinesTotalCents(cart.rest["line_items"]);
  const int number = 1001 + static_cast<int>(shop.store.table(Resource::kOrders).size());
  nlohmann::json order = {
      {"id", id},
      {"name", "#" + std::to_string(number)},
      {"order_number", number},
      {"email", cart.email.empty() ? nlohmann::json(nullptr) : nlohmann::json(cart.email)},
      {"contact_email", cart.email.empty() ? nlohmann::json(nullptr) : nlohmann::json(cart.email)},
      {"cart_token", token},
      {"checkout_token", nullptr},
      {"created_at", FormatRestTime(now)},
      {"updated_at", FormatRestTime(now)},
      {"processed_at", FormatRestTime(now)},
      {"closed_at", nullptr},
      {"cancelled_at", nullptr},
      {"cancel_reason", nullptr},
      {"currency", "USD"},
      {"financial_status", "paid"},
      {"fulfillment_status", nullptr},
      {"subtotal_price", Money(subtotal)},
      {"total_price", Money(subtotal)},
      {"total_tax", "0.00"},
      {"total_price_set", MoneySet(Money(subtotal))},
      {"line_items", cart.rest["line_items"]},
      {"test", false}};
  STOREFLOW_RETURN_IF_ERROR(AddEntityFromJson(shop, Resource::kOrders, std::move(order), "$"));
  cart.converted = true;
  cart.order_id = id;
  const Entity& created = *shop.store.Find(Resource::kOrders, id);
  sim.Emit(shop, "orders/create", created.rest);
  // Its checkout (if any) is completed: no longer abandoned.
  for (auto& [checkout_id, checkout] : shop.store.table(Resource::kCheckouts)) {
    if (checkout.rest.value("cart_token", nlohmann::json()) != token) continue;
    checkout.rest["completed_at"] = FormatRestTime(now);
    checkout.rest["updated_at"] = FormatRestTime(now);
    checkout.updated_ms = now;
    sim.Emit(shop, "checkouts/update", checkout.rest);
  }
  return created.rest;
}

}  // namespace storeflow::shopify_sim
