#include "control_api.h"

#include <optional>
#include <sstream>

#include "order_generator.h"
#include "shop_mutations.h"
#include "time_text.h"
#include "webhook_dispatcher.h"

namespace storeflow::shopify_sim {
namespace {

SimReply Error(int status, const std::string& message) {
  return SimReply::Json(status, {{"error", message}});
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: return 409;
    default: return 400;
  }
}

SimReply FromResult(const Result<nlohmann::json>& result, int ok_status, const std::string& key) {
  if (!result.ok()) return Error(HttpStatusFor(result.status()), result.status().message());
  if (key.empty()) return SimReply::Json(ok_status, *result);
  return SimReply::Json(ok_status, {{key, *result}});
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

nlohmann::json ClockJson(Simulator& sim) {
  const std::int64_t now = sim.clock().NowMs();
  return {{"now_ms", now}, {"now", FormatUtcTimeMs(now)}, {"frozen", sim.clock().frozen()}};
}

// The body as a JSON object (an empty body is {}), or nullopt.
std::optional<nlohmann::json> BodyObject(const SimRequest& req) {
  if (req.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

SimReply Clock(Simulator& sim, const SimRequest& req, const std::vector<std::string>& parts,
               const nlohmann::json& body) {
  if (parts.size() == 1 && req.method == "GET") return SimReply::Json(200, ClockJson(sim));
  if (parts.size() == 2 && parts[1] == "advance" && req.method == "POST") {
    const auto it = body.find("ms");
    if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) {
      return Error(400, "$.ms: a non-negative integer number of milliseconds is required");
    }
    sim.clock().Advance(it->get<std::int64_t>());
    sim.dispatcher().RunDue();  // retries due by the new time are sent before the answer
    return SimReply::Json(200, ClockJson(sim));
  }
  if (parts.size() == 2 && parts[1] == "freeze" && req.method == "POST") {
    const auto it = body.find("frozen");
    if (it != body.end() && !it->is_boolean()) return Error(400, "$.frozen: true or false");
    sim.clock().SetFrozen(it == body.end() ? true : it->get<bool>());
    return SimReply::Json(200, ClockJson(sim));
  }
  return Error(404, "no such clock route: " + req.method + " " + req.path);
}

SimReply ShopFaults(Shop& shop, const SimRequest& req, const nlohmann::json& body) {
  if (req.method == "DELETE") {
    shop.faults.clear();
    return SimReply::Json(200, {{"faults", nlohmann::json::array()}});
  }
  if (req.method == "GET" || req.method == "POST") {
    if (req.method == "POST") {
      FaultRule rule;
      const auto count = body.find("count");
      if (count == body.end() || !count->is_number_integer() || count->get<int>() < 1) {
        return Error(400, "$.count: an integer of 1 or more is required");
      }
      rule.remaining = count->get<int>();
      if (body.value("throttle", false)) {
        rule.throttle = true;
        rule.api = "graphql";
      } else {
        rule.api = body.value("api", "any");
        if (rule.api != "rest" && rule.api != "graphql" && rule.api != "storefront" &&
            rule.api != "any") {
          return Error(400, "$.api: rest, graphql, storefront or any");
        }
        const auto status = body.find("status");
        if (status == body.end() || !status->is_number_integer()) {
          return Error(400, "$.status: 500, 502, 503, 429 or 401 (or \"throttle\": true)");
        }
        rule.status = status->get<int>();
        if (rule.status != 500 && rule.status != 502 && rule.status != 503 && rule.status != 429 &&
            rule.status != 401) {
          return Error(400, "$.status: 500, 502, 503, 429 or 401");
        }
      }
      shop.faults.push_back(rule);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : shop.faults) {
      list.push_back({{"api", f.api},
                      {"status", f.status},
                      {"throttle", f.throttle},
                      {"remaining", f.remaining}});
    }
    return SimReply::Json(req.method == "POST" ? 201 : 200, {{"faults", list}});
  }
  return Error(405, "faults: GET, POST or DELETE");
}

// PUT {"graphql": {"max", "restore_rate"}}: a GraphQL cost bucket of that size
// (full, its low-water mark reset), so a test can hammer a small bucket. An
// error reply for a bad body; nullopt when set.
std::optional<SimReply> SetBucket(Shop& shop, const nlohmann::json& body) {
  const auto graphql = body.find("graphql");
  if (!body.is_object() || graphql == body.end() || !graphql->is_object()) {
    return Error(400, "$.graphql: an object {\"max\", \"restore_rate\"} is required");
  }
  const auto max = graphql->find("max");
  if (max == graphql->end() || !max->is_number() || max->get<double>() < 1 ||
      max->get<double>() > 1e9) {
    return Error(400, "$.graphql.max: a number from 1 to 1e9 is required");
  }
  const auto rate = graphql->find("restore_rate");
  if (rate == graphql->end() || !rate->is_number() || rate->get<double>() <= 0 ||
      rate->get<double>() > 1e9) {
    return Error(400, "$.graphql.restore_rate: a number above 0 (points per second) is required");
  }
  shop.graphql_bucket = CostBucket(max->get<double>(), rate->get<double>());
  return std::nullopt;
}

SimReply Bucket(Simulator& sim, Shop& shop) {
  const std::int64_t now = sim.clock().NowMs();
  return SimReply::Json(200, {{"graphql",
                               {{"available", shop.graphql_bucket.Available(now)},
                                {"min_seen", shop.graphql_bucket.min_seen()},
                                {"max", shop.graphql_bucket.capacity()},
                                {"restore_rate", shop.graphql_bucket.restore_per_s()}}},
                              {"rest",
                               {{"used", shop.rest_bucket.Used(now)},
                                {"max", shop.rest_bucket.capacity()},
                                {"max_seen", shop.rest_bucket.max_seen()},
                                {"leak_rate", shop.limits.rest_leak_per_s}}}});
}

SimReply Carts(Simulator& sim, Shop& shop, const SimRequest& req,
               const std::vector<std::string>& parts, const nlohmann::json& body) {
  // parts: shops, {domain}, carts[, token[, convert]]
  if (parts.size() == 3 && req.method == "POST") {
    return FromResult(CreateCart(sim, shop, body), 201, "cart");
  }
  if (parts.size() == 3 && req.method == "GET") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [token, cart] : shop.store.carts()) {
      nlohmann::json item = cart.rest;
      item["converted"] = cart.converted;
      if (cart.order_id) item["order_id"] = *cart.order_id;
      list.push_back(std::move(item));
    }
    return SimReply::Json(200, {{"carts", list}});
  }
  if (parts.size() == 4 && req.method == "PUT") {
    return FromResult(UpdateCart(sim, shop, parts[3], body), 200, "cart");
  }
  if (parts.size() == 5 && parts[4] == "convert" && req.method == "POST") {
    return FromResult(ConvertCart(sim, shop, parts[3]), 201, "order");
  }
  return Error(404, "no such cart route: " + req.method + " " + req.path);
}

SimReply Entities(Simulator& sim, Shop& shop, Resource r, const SimRequest& req,
                  const std::vector<std::string>& parts, nlohmann::json body) {
  const std::string singular(SingularName(r));
  // Accept the entity bare or wrapped as Shopify's REST bodies are: {"order": {...}}.
  if (body.contains(singular) && body.size() == 1 && body[singular].is_object()) {
    body = nlohmann::json(body[singular]);
  }
  if (parts.size() == 3 && req.method == "POST") {
    return FromResult(CreateEntity(sim, shop, r, std::move(body)), 201, singular);
  }
  if (parts.size() == 4) {
    const auto id = ParseIdOrGid(parts[3]);
    if (!id) return Error(400, "not an id: " + parts[3]);
    if (req.method == "PUT" || req.method == "POST") {
      return FromResult(UpdateEntity(sim, shop, r, *id, body), 200, singular);
    }
    if (req.method == "DELETE") {
      const Status deleted = DeleteEntity(sim, shop, r, *id);
      if (!deleted.ok()) return Error(HttpStatusFor(deleted), deleted.message());
      return SimReply::Json(200, nlohmann::json::object());
    }
    if (req.method == "GET") {
      const Entity* e = shop.store.Find(r, *id);
      if (e == nullptr) return Error(404, singular + " " + parts[3] + " does not exist");
      nlohmann::json out = e->rest;
      if (!e->metafields.empty()) {
        out["metafields"] = nlohmann::json::array();
        for (const auto& m : e->metafields) out["metafields"].push_back(RestMetafield(*e, m));
      }
      return SimReply::Json(200, {{singular, out}});
    }
  }
  return Error(404, "no such route: " + req.method + " " + req.path);
}

SimReply ShopRoute(Simulator& sim, const SimRequest& req, const std::vector<std::string>& parts,
                   const nlohmann::json& body) {
  Shop* shop = sim.FindShop(parts[1]);
  if (shop == nullptr) return Error(404, "no shop " + parts[1] + " in the fixtures");
  if (parts.size() == 2 && req.method == "GET") {
    nlohmann::json counts = nlohmann::json::object();
    for (std::size_t i = 0; i < kResourceCount; ++i) {
      const auto r = static_cast<Resource>(i);
      counts[std::string(ResourceName(r))] = shop->store.table(r).size();
    }
    counts["carts"] = shop->store.carts().size();
    return SimReply::Json(
        200, {{"domain", shop->config.domain}, {"plan", shop->config.plan}, {"counts", counts}});
  }
  const std::string& what = parts[2];
  if (what == "faults" && parts.size() == 3) return ShopFaults(*shop, req, body);
  if (what == "received" && parts.size() == 3) {
    if (req.method == "DELETE") {
      shop->received.clear();
      return SimReply::Json(200, {{"received", nlohmann::json::array()}});
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& entry : shop->received) list.push_back(entry);
    return SimReply::Json(200, {{"received", std::move(list)}});
  }
  if (what == "bucket" && parts.size() == 3) {
    if (req.method == "PUT") {
      if (auto bad = SetBucket(*shop, body)) return *bad;
    } else if (req.method != "GET") {
      return Error(405, "bucket: GET or PUT");
    }
    return Bucket(sim, *shop);
  }
  if (what == "deliveries" && parts.size() == 3) {
    return SimReply::Json(200,
                          {{"deliveries", sim.dispatcher().DeliveriesJson(shop->config.domain)}});
  }
  if (what == "subscriptions" && parts.size() == 3) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& w : shop->webhooks) list.push_back(w.ToJson());
    return SimReply::Json(200, {{"webhooks", list}});
  }
  if (what == "generate" && parts.size() == 3 && req.method == "POST") {
    const auto orders = body.find("orders");
    if (orders == body.end() || !orders->is_number_integer() || orders->get<int>() < 1 ||
        orders->get<int>() > 1000000) {
      return Error(400, "$.orders: an integer from 1 to 1000000 is required");
    }
    std::uint64_t seed = 1;
    if (const auto s = body.find("seed"); s != body.end()) {
      if (!s->is_number_integer()) return Error(400, "$.seed: an integer");
      seed = s->get<std::uint64_t>();
    }
    const auto range = GenerateOrders(*shop, orders->get<int>(), seed);
    return SimReply::Json(200, {{"generated", range.count},
                                {"first_id", range.first_id},
                                {"last_id", range.last_id},
                                {"orders", shop->store.table(Resource::kOrders).size()}});
  }
  if (what == "carts") return Carts(sim, *shop, req, parts, body);
  if (const auto r = ParseResource(what)) return Entities(sim, *shop, *r, req, parts, body);
  return Error(404, "no such route: " + req.method + " " + req.path);
}

}  // namespace

SimReply HandleControl(Simulator& sim, const SimRequest& req) {
  const auto parts_full = Split(req.path);  // "_sim", ...
  const std::vector<std::string> parts(parts_full.begin() + 1, parts_full.end());
  const auto body = BodyObject(req);
  if (!body) return Error(400, "the body must be a JSON object");
  if (parts.empty()) return Error(404, "see tools/shopify-sim/README.md for the control API");
  if (parts[0] == "clock") return Clock(sim, req, parts, *body);
  if (parts[0] == "webhooks" && parts.size() == 2 && parts[1] == "faults" && req.method == "POST") {
    const Status added =
        sim.dispatcher().AddFault(StringField(*body, "mode"), body->value("count", 1),
                                  body->value("delay_ms", std::int64_t{0}));
    if (!added.ok()) return Error(400, added.message());
    return SimReply::Json(201, {{"ok", true}});
  }
  std::lock_guard lock(sim.mutex());
  if (parts[0] == "shops" && parts.size() == 1 && req.method == "GET") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [domain, shop] : sim.shops()) list.push_back(domain);
    return SimReply::Json(200, {{"shops", list}});
  }
  if (parts[0] == "shops" && parts.size() >= 2) return ShopRoute(sim, req, parts, *body);
  return Error(404, "no such route: " + req.method + " " + req.path);
}

}  // namespace storeflow::shopify_sim
