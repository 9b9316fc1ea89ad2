#include "rest_handlers.h"

#include <Poco/URI.h>

#include <charconv>
#include <set>
#include <sstream>
#include <variant>

#include "entity_store.h"
#include "page_cursor.h"
#include "shop_mutations.h"
#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 250;

SimReply NotFoundReply() {
  return SimReply::Json(404, {{"errors", "Not Found"}});
}

SimReply FieldError(int status, const std::string& field, const std::string& message) {
  return SimReply::Json(status, {{"errors", {{field, nlohmann::json::array({message})}}}});
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) parts.push_back(part);
  return parts;
}

std::string StripJson(const std::string& name) {
  constexpr std::string_view kExt = ".json";
  if (name.size() > kExt.size() &&
      name.compare(name.size() - kExt.size(), kExt.size(), kExt) == 0) {
    return name.substr(0, name.size() - kExt.size());
  }
  return {};
}

std::optional<int> ParseInt(const std::string& text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

nlohmann::json Project(const nlohmann::json& rest, const std::vector<std::string>& fields) {
  if (fields.empty()) return rest;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : fields) {
    if (const auto it = rest.find(f); it != rest.end()) out[f] = *it;
  }
  return out;
}

std::vector<std::string> ParseFields(const std::optional<std::string>& text) {
  std::vector<std::string> fields;
  if (!text) return fields;
  std::stringstream in(*text);
  std::string f;
  while (std::getline(in, f, ',')) {
    const auto b = f.find_first_not_of(' ');
    const auto e = f.find_last_not_of(' ');
    if (b != std::string::npos) fields.push_back(f.substr(b, e - b + 1));
  }
  return fields;
}

// The filters of a list/count request, or a 400 reply.
std::variant<ListFilter, SimReply> ParseFilter(Resource r, const SimRequest& req) {
  ListFilter f;
  if (const auto v = req.Query("updated_at_min")) {
    const auto ms = ParseIsoTime(*v);
    if (!ms) return FieldError(400, "updated_at_min", "is not an ISO 8601 time: " + *v);
    f.updated_at_min_ms = *ms;
  }
  if (const auto v = req.Query("since_id")) {
    const auto id = ParseIdOrGid(*v);
    if (!id) return FieldError(400, "since_id", "must be an integer id");
    f.since_id = *id;
  }
  if (const auto v = req.Query("status"); v && r == Resource::kOrders) {
    if (*v != "open" && *v != "closed" && *v != "cancelled" && *v != "any") {
      return FieldError(400, "status", "must be one of open, closed, cancelled, any");
    }
    f.status = *v;
  }
  if (const auto v = req.Query("handle"); v && r == Resource::kProducts) f.handle = *v;
  return f;
}

std::string LinkUrl(const SimRequest& req, int limit, const std::optional<std::string>& fields,
                    const std::string& page_info) {
  std::string url = "http://" + req.host + req.path + "?limit=" + std::to_string(limit);
  if (fields) {
    std::string encoded;
    Poco::URI::encode(*fields, "&=+?#", encoded);
    url += "&fields=" + encoded;
  }
  return url + "&page_info=" + page_info;
}

SimReply List(Shop& shop, Resource r, const SimRequest& req) {
  int limit = kDefaultLimit;
  if (const auto v = req.Query("limit")) {
    const auto n = ParseInt(*v);
    if (!n || *n < 1 || *n > kMaxLimit) {
      return FieldError(400, "limit", "must be an integer from 1 to 250");
    }
    limit = *n;
  }
  const auto fields_text = req.Query("fields");
  const auto fields = ParseFields(fields_text);

  PageCursor cursor;
  cursor.resource = r;
  if (const auto page_info = req.Query("page_info")) {
    for (const auto& [name, value] : req.query) {
      if (name != "page_info" && name != "limit" && name != "fields") {
        return FieldError(400, "page_info",
                          "only limit and fields may be sent with page_info (got " + name + ")");
      }
    }
    auto decoded = DecodeCursor(*page_info);
    if (!decoded || decoded->resource != r) {
      return SimReply::Json(400, {{"errors", {{"page_info", {"Invalid value."}}}}});
    }
    cursor = std::move(*decoded);
  } else {
    auto filter = ParseFilter(r, req);
    if (auto* reply = std::get_if<SimReply>(&filter)) return std::move(*reply);
    cursor.filter = std::get<ListFilter>(filter);
    cursor.forward = true;
    cursor.edge_id = 0;
  }

  const auto& table = shop.store.table(r);
  std::vector<const Entity*> page;
  if (cursor.forward) {
    for (auto it = table.upper_bound(cursor.edge_id);
         it != table.end() && static_cast<int>(page.size()) < limit; ++it) {
      if (MatchesFilter(r, it->second, cursor.filter)) page.push_back(&it->second);
    }
  } else {
    auto it = table.lower_bound(cursor.edge_id);
    while (it != table.begin() && static_cast<int>(page.size()) < limit) {
      --it;
      if (MatchesFilter(r, it->second, cursor.filter)) page.insert(page.begin(), &it->second);
    }
  }

  SimReply reply;
  nlohmann::json items = nlohmann::json::array();
  for (const Entity* e : page) items.push_back(Project(e->rest, fields));
  reply.body = DumpJson(nlohmann::json{{std::string(ResourceName(r)), std::move(items)}});

  std::vector<std::string> links;
  if (!page.empty()) {
    // A previous page exists when a matching entity lies below the first on this one
    // (the first page of a since_id list has none, like Shopify).
    bool has_prev = false;
    if (!(cursor.forward && cursor.edge_id == 0)) {
      for (auto it = table.lower_bound(page.front()->id); it != table.begin();) {
        --it;
        if (MatchesFilter(r, it->second, cursor.filter)) {
          has_prev = true;
          break;
        }
      }
    }
    bool has_next = false;
    for (auto it = table.upper_bound(page.back()->id); it != table.end(); ++it) {
      if (MatchesFilter(r, it->second, cursor.filter)) {
        has_next = true;
        break;
      }
    }
    if (has_prev) {
      PageCursor prev{r, false, page.front()->id, cursor.filter};
      links.push_back("<" + LinkUrl(req, limit, fields_text, EncodeCursor(prev)) +
                      ">; rel=\"previous\"");
    }
    if (has_next) {
      PageCursor next{r, true, page.back()->id, cursor.filter};
      links.push_back("<" + LinkUrl(req, limit, fields_text, EncodeCursor(next)) +
                      ">; rel=\"next\"");
    }
  }
  if (!links.empty()) {
    std::string header;
    for (const auto& l : links) header += (header.empty() ? "" : ", ") + l;
    reply.headers.emplace_back("Link", header);
  }
  return reply;
}

SimReply Count(Shop& shop, Resource r, const SimRequest& req) {
  auto filter = ParseFilter(r, req);
  if (auto* reply = std::get_if<SimReply>(&filter)) return std::move(*reply);
  const auto& f = std::get<ListFilter>(filter);
  std::int64_t n = 0;
  for (const auto& [id, e] : shop.store.table(r)) n += MatchesFilter(r, e, f) ? 1 : 0;
  return SimReply::Json(200, {{"count", n}});
}

SimReply GetOne(Shop& shop, Resource r, const std::string& id_text, const SimRequest& req) {
  const auto id = ParseIdOrGid(id_text);
  const Entity* e = id ? shop.store.Find(r, *id) : nullptr;
  if (e == nullptr) return NotFoundReply();
  return SimReply::Json(
      200, {{std::string(SingularName(r)), Project(e->rest, ParseFields(req.Query("fields")))}});
}

// GET products/{id}/metafields.json (filters `namespace`, `key`) and
// products/{id}/metafields/count.json: Shopify's REST Metafield resource read from
// its owner's endpoint.
SimReply ProductMetafields(Shop& shop, const std::string& id_text, const SimRequest& req,
                           bool count) {
  const auto id = ParseIdOrGid(id_text);
  const Entity* e = id ? shop.store.Find(Resource::kProducts, *id) : nullptr;
  if (e == nullptr) return NotFoundReply();
  const auto ns = req.Query("namespace");
  const auto key = req.Query("key");
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : e->metafields) {
    if (ns && m.value("namespace", "") != *ns) continue;
    if (key && m.value("key", "") != *key) continue;
    list.push_back(Project(RestMetafield(*e, m), ParseFields(req.Query("fields"))));
  }
  if (count) return SimReply::Json(200, {{"count", list.size()}});
  return SimReply::Json(200, {{"metafields", std::move(list)}});
}

SimReply CustomerSearch(Shop& shop, const SimRequest& req) {
  const std::string query = req.Query("query").value_or("");
  int limit = kDefaultLimit;
  if (const auto v = req.Query("limit")) {
    const auto n = ParseInt(*v);
    if (!n || *n < 1 || *n > kMaxLimit) {
      return FieldError(400, "limit", "must be an integer from 1 to 250");
    }
    limit = *n;
  }
  std::string email;
  std::string text;
  std::stringstream in(query);
  std::string term;
  while (in >> term) {
    if (term.rfind("email:", 0) == 0) {
      email = term.substr(6);
    } else {
      text += (text.empty() ? "" : " ") + term;
    }
  }
  nlohmann::json found = nlohmann::json::array();
  for (const auto& [id, e] : shop.store.table(Resource::kCustomers)) {
    if (static_cast<int>(found.size()) >= limit) break;
    const std::string e_email = StringField(e.rest, "email");
    if (!email.empty() && !SameEmail(e_email, email)) continue;
    if (!text.empty()) {
      const std::string hay = e_email + " " + StringField(e.rest, "first_name") + " " +
                              StringField(e.rest, "last_name");
      if (hay.find(text) == std::string::npos) continue;
    }
    found.push_back(Project(e.rest, ParseFields(req.Query("fields"))));
  }
  return SimReply::Json(200, {{"customers", std::move(found)}});
}

SimReply Webhooks(Simulator& sim, Shop& shop, const SimRequest& req, const std::string& api_version,
                  const std::vector<std::string>& parts) {
  const std::int64_t now = sim.clock().NowMs();
  if (parts.size() == 1 && req.method == "GET") {
    nlohmann::json list = nlohmann::json::array();
    const auto topic = req.Query("topic");
    const auto address = req.Query("address");
    for (const auto& w : shop.webhooks) {
      if (topic && w.topic != *topic) continue;
      if (address && w.address != *address) continue;
      list.push_back(w.ToJson());
    }
    return SimReply::Json(200, {{"webhooks", std::move(list)}});
  }
  if (parts.size() == 2 && parts[1] == "count.json" && req.method == "GET") {
    return SimReply::Json(200, {{"count", shop.webhooks.size()}});
  }
  if (parts.size() == 1 && req.method == "POST") {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("webhook") || !body["webhook"].is_object()) {
      return SimReply::Json(400,
                            {{"errors", {{"webhook", "Required parameter missing or invalid"}}}});
    }
    const auto& w = body["webhook"];
    const std::string topic = StringField(w, "topic");
    const std::string address = StringField(w, "address");
    const std::string format = w.value("format", "json");
    if (topic.empty()) return FieldError(422, "topic", "can't be blank");
    if (!IsKnownWebhookTopic(topic)) {
      return FieldError(422, "topic", "Invalid topic specified: " + topic);
    }
    if (address.empty()) return FieldError(422, "address", "can't be blank");
    if (address.rfind("http://", 0) != 0 && address.rfind("https://", 0) != 0) {
      return FieldError(422, "address", "is not a valid URL");
    }
    if (format != "json") return FieldError(422, "format", "the simulator only sends json");
    for (const auto& existing : shop.webhooks) {
      if (existing.topic == topic && existing.address == address) {
        return FieldError(422, "address", "for this topic has already been taken");
      }
    }
    WebhookSubscription sub;
    sub.id = shop.next_webhook_id++;
    sub.address = address;
    sub.topic = topic;
    sub.format = format;
    sub.api_version = api_version;
    sub.created_ms = now;
    sub.updated_ms = now;
    shop.webhooks.push_back(sub);
    return SimReply::Json(201, {{"webhook", sub.ToJson()}});
  }
  if (parts.size() == 2) {
    const auto id = ParseIdOrGid(StripJson(parts[1]));
    auto it = shop.webhooks.begin();
    while (it != shop.webhooks.end() && (!id || it->id != *id)) ++it;
    if (it == shop.webhooks.end()) return NotFoundReply();
    if (req.method == "GET") return SimReply::Json(200, {{"webhook", it->ToJson()}});
    if (req.method == "DELETE") {
      shop.webhooks.erase(it);
      return SimReply::Json(200, nlohmann::json::object());
    }
    if (req.method == "PUT") {
      const auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("webhook") || !body["webhook"].is_object()) {
        return SimReply::Json(400,
                              {{"errors", {{"webhook", "Required parameter missing or invalid"}}}});
      }
      if (const auto a = body["webhook"].find("address");
          a != body["webhook"].end() && a->is_string()) {
        it->address = a->get<std::string>();
      }
      it->updated_ms = now;
      return SimReply::Json(200, {{"webhook", it->ToJson()}});
    }
  }
  return NotFoundReply();
}

SimReply Route(Simulator& sim, Shop& shop, const SimRequest& req, const std::string& api_version,
               const std::string& rest_path) {
  const auto parts = SplitPath(rest_path);
  if (parts.empty()) return NotFoundReply();
  if (parts[0] == "webhooks.json" || parts[0] == "webhooks") {
    return Webhooks(sim, shop, req, api_version, parts);
  }
  const std::string first = parts.size() == 1 ? StripJson(parts[0]) : parts[0];
  const auto resource = ParseResource(first);
  if (!resource) return NotFoundReply();
  if (req.method != "GET") {
    return SimReply::Json(405, {{"errors", "the simulator serves " + first +
                                               " read-only over "
                                               "REST; change entities with /_sim/"}});
  }
  if (parts.size() == 1) return List(shop, *resource, req);
  if (parts.size() == 2 && parts[1] == "count.json") return Count(shop, *resource, req);
  if (parts.size() == 2 && parts[1] == "search.json" && *resource == Resource::kCustomers) {
    return CustomerSearch(shop, req);
  }
  if (parts.size() == 2 && !StripJson(parts[1]).empty()) {
    return GetOne(shop, *resource, StripJson(parts[1]), req);
  }
  if (*resource == Resource::kProducts && parts.size() == 3 && parts[2] == "metafields.json") {
    return ProductMetafields(shop, parts[1], req, false);
  }
  if (*resource == Resource::kProducts && parts.size() == 4 && parts[2] == "metafields" &&
      parts[3] == "count.json") {
    return ProductMetafields(shop, parts[1], req, true);
  }
  return NotFoundReply();
}

}  // namespace

bool IsKnownWebhookTopic(const std::string& topic) {
  static const std::set<std::string> kTopics = {
      "carts/create",     "carts/update",     "checkouts/create", "checkouts/update",
      "checkouts/delete", "orders/create",    "orders/updated",   "orders/delete",
      "orders/paid",      "orders/cancelled", "orders/fulfilled", "products/create",
      "products/update",  "products/delete",  "customers/create", "customers/update",
      "customers/delete", "app/uninstalled"};
  return kTopics.count(topic) > 0;
}

SimReply HandleAdminRest(Simulator& sim, Shop& shop, const SimRequest& request,
                         const std::string& api_version, const std::string& rest_path) {
  const std::int64_t now = sim.clock().NowMs();
  SimReply reply;
  if (!shop.rest_bucket.TryTake(now)) {
    reply = SimReply::Json(429, {{"errors",
                                  "Exceeded 2 calls per second for api client. Reduce "
                                  "request rates to resume uninterrupted service."}});
    reply.headers.emplace_back("Retry-After", "2.0");
  } else {
    reply = Route(sim, shop, request, api_version, rest_path);
  }
  reply.headers.emplace_back("X-Shopify-Shop-Api-Call-Limit",
                             std::to_string(shop.rest_bucket.Used(now)) + "/" +
                                 std::to_string(shop.rest_bucket.capacity()));
  return reply;
}

}  // namespace storeflow::shopify_sim
