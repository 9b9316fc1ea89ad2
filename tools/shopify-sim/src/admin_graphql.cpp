#include "admin_graphql.h"

#include <cctype>
#include <functional>
#include <sstream>

#include "graphql_request.h"
#include "page_cursor.h"
#include "product_set_input.h"
#include "shop_mutations.h"
#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

constexpr int kMaxPageSize = 250;
const char* const kRateLimitDocs = "https://shopify.dev/api/usage/rate-limits";

// An operation the simulator knows: how it is named, what it costs, how it runs.
struct Operation {
  std::string name;
  std::string root_field;
  bool mutation = false;
};

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> kOps = {{"Shop", "shop", false},
                                              {"Products", "products", false},
                                              {"Orders", "orders", false},
                                              {"Customers", "customers", false},
                                              {"ProductByIdentifier", "productByIdentifier", false},
                                              {"ProductSet", "productSet", true},
                                              {"ProductDelete", "productDelete", true}};
  return kOps;
}

const Operation* Recognise(const GraphqlRequest& req) {
  for (const auto& op : Operations()) {
    if (op.name == req.operation_name) return &op;
  }
  for (const auto& op : Operations()) {
    if (op.root_field == req.root_field) return &op;
  }
  return nullptr;
}

std::string UtcOf(const nlohmann::json& rest, const char* key) {
  const auto it = rest.find(key);
  if (it == rest.end() || !it->is_string()) return {};
  const auto ms = ParseIsoTime(it->get<std::string>());
  return ms ? FormatUtcTime(*ms) : std::string();
}

nlohmann::json MoneyV2(const nlohmann::json& amount) {
  return {{"amount", amount.is_string() ? amount : nlohmann::json("0.00")},
          {"currencyCode", "USD"}};
}

// A REST variant as a GraphQL ProductVariant node.
nlohmann::json VariantNode(const nlohmann::json& v, const nlohmann::json& options) {
  nlohmann::json selected = nlohmann::json::array();
  for (std::size_t k = 0; options.is_array() && k < options.size() && k < 3; ++k) {
    const std::string key = "option" + std::to_string(k + 1);
    if (v.contains(key) && v[key].is_string()) {
      selected.push_back({{"name", StringField(options[k], "name")}, {"value", v[key]}});
    }
  }
  nlohmann::json id = nullptr;
  if (const auto parsed = IdFromJson(v.value("id", nlohmann::json()))) {
    id = MakeGid("ProductVariant", *parsed);
  }
  return {{"id", id},
          {"title", v.value("title", nlohmann::json(""))},
          {"price", v.value("price", nlohmann::json("0.00"))},
          {"compareAtPrice", v.value("compare_at_price", nlohmann::json(nullptr))},
          {"sku", v.value("sku", nlohmann::json(nullptr))},
          {"selectedOptions", selected}};
}

// A stored metafield ({id, namespace, key, type, value, created_at, updated_at}) as a
// GraphQL Metafield node.
nlohmann::json MetafieldNode(const nlohmann::json& m) {
  nlohmann::json id = nullptr;
  if (const auto parsed = IdFromJson(m.value("id", nlohmann::json()))) {
    id = MakeGid("Metafield", *parsed);
  }
  return {{"id", id},
          {"namespace", m.value("namespace", "")},
          {"key", m.value("key", "")},
          {"type", m.value("type", "single_line_text_field")},
          {"value", m.value("value", nlohmann::json(""))},
          {"createdAt", UtcOf(m, "created_at")},
          {"updatedAt", UtcOf(m, "updated_at")}};
}

nlohmann::json ProductNode(const Entity& e, const nlohmann::json& custom_id) {
  const auto& r = e.rest;
  nlohmann::json metafield = nullptr;
  nlohmann::json metafield_nodes = nlohmann::json::array();
  for (const auto& m : e.metafields) {
    metafield_nodes.push_back(MetafieldNode(m));
    if (custom_id.is_object() && m["namespace"] == StringField(custom_id, "namespace") &&
        m["key"] == StringField(custom_id, "key")) {
      metafield = MetafieldNode(m);
    }
  }
  if (metafield.is_null() && !e.metafields.empty() && !custom_id.is_object()) {
    metafield = MetafieldNode(e.metafields.front());
  }
  nlohmann::json edges = nlohmann::json::array();
  for (const auto& m : metafield_nodes) edges.push_back({{"node", m}});
  nlohmann::json variant_nodes = nlohmann::json::array();
  if (const auto v = r.find("variants"); v != r.end() && v->is_array()) {
    for (const auto& variant : *v)
      variant_nodes.push_back(VariantNode(variant, r.value("options", nlohmann::json())));
  }
  std::string status = r.value("status", "active");
  for (char& c : status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return {{"id", MakeGid("Product", e.id)},
          {"legacyResourceId", std::to_string(e.id)},
          {"title", StringField(r, "title")},
          {"handle", StringField(r, "handle")},
          {"status", status},
          {"vendor", StringField(r, "vendor")},
          {"productType", StringField(r, "product_type")},
          {"descriptionHtml", r.value("body_html", nlohmann::json(""))},
          {"createdAt", UtcOf(r, "created_at")},
          {"updatedAt", UtcOf(r, "updated_at")},
          {"metafield", metafield},
          {"metafields", {{"edges", edges}, {"nodes", metafield_nodes}}},
          {"variants", {{"nodes", std::move(variant_nodes)}}}};
}

nlohmann::json OrderNode(const Entity& e) {
  const auto& r = e.rest;
  const auto total = r.value("total_price", nlohmann::json("0.00"));
  std::string financial = r.value("financial_status", nlohmann::json("")).is_string()
                              ? StringField(r, "financial_status")
                              : "";
  for (char& c : financial) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return {{"id", MakeGid("Order", e.id)},
          {"legacyResourceId", std::to_string(e.id)},
          {"name", StringField(r, "name")},
          {"email", r.value("email", nlohmann::json(nullptr))},
          {"createdAt", UtcOf(r, "created_at")},
          {"updatedAt", UtcOf(r, "updated_at")},
          {"cancelledAt", r.contains("cancelled_at") && !r["cancelled_at"].is_null()
                              ? nlohmann::json(UtcOf(r, "cancelled_at"))
                              : nlohmann::json(nullptr)},
          {"displayFinancialStatus", financial},
          {"totalPriceSet", {{"shopMoney", MoneyV2(total)}, {"presentmentMoney", MoneyV2(total)}}}};
}

nlohmann::json CustomerNode(const Entity& e) {
  const auto& r = e.rest;
  return {{"id", MakeGid("Customer", e.id)},
          {"legacyResourceId", std::to_string(e.id)},
          {"email", r.value("email", nlohmann::json(nullptr))},
          {"firstName", r.value("first_name", nlohmann::json(nullptr))},
          {"lastName", r.value("last_name", nlohmann::json(nullptr))},
          {"createdAt", UtcOf(r, "created_at")},
          {"updatedAt", UtcOf(r, "updated_at")}};
}

// The small part of Shopify's search syntax the simulator understands:
// updated_at:>X, updated_at:>=X, handle:X, email:X, status:X. Other terms are ignored.
ListFilter SearchFilter(Resource r, const std::string& query) {
  ListFilter f;
  if (r == Resource::kOrders) f.status = "any";
  std::stringstream in(query);
  std::string term;
  while (in >> term) {
    auto value_of = [&](const std::string& prefix) -> std::optional<std::string> {
      if (term.rfind(prefix, 0) != 0) return std::nullopt;
      std::string v = term.substr(prefix.size());
      if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"')) v = v.substr(1, v.size() - 2);
      return v;
    };
    if (auto v = value_of("updated_at:>=")) {
      if (const auto ms = ParseIsoTime(*v)) f.updated_at_min_ms = *ms;
    } else if (auto v2 = value_of("updated_at:>")) {
      if (const auto ms = ParseIsoTime(*v2)) f.updated_at_min_ms = *ms + 1;
    } else if (auto h = value_of("handle:")) {
      f.handle = *h;
    } else if (auto m = value_of("email:")) {
      f.email = *m;
    } else if (auto s = value_of("status:"); s && r == Resource::kOrders) {
      f.status = *s;
    }
  }
  return f;
}

std::optional<int> FirstArgument(const GraphqlRequest& req) {
  const auto it = req.variables.find("first");
  if (it != req.variables.end() && it->is_number_integer()) return it->get<int>();
  // An inline literal: first: 10
  const auto at = req.query.find("first:");
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + 6;
  while (i < req.query.size() && req.query[i] == ' ') ++i;
  std::size_t end = i;
  while (end < req.query.size() && std::isdigit(static_cast<unsigned char>(req.query[end]))) ++end;
  if (end == i) return std::nullopt;
  return std::stoi(req.query.substr(i, std::min<std::size_t>(end - i, 9)));
}

struct Execution {
  nlohmann::json data;
  nlohmann::json errors = nlohmann::json::array();
  int actual_cost = 0;
};

Execution RunConnection(Shop& shop, Resource r, const GraphqlRequest& req, int first,
                        const std::string& field) {
  Execution ex;
  ListFilter filter;
  if (const auto q = req.variables.find("query"); q != req.variables.end() && q->is_string()) {
    filter = SearchFilter(r, q->get<std::string>());
  } else if (r == Resource::kOrders) {
    filter.status = "any";
  }
  std::int64_t after_id = 0;
  if (const auto a = req.variables.find("after"); a != req.variables.end() && a->is_string()) {
    const auto cursor = DecodeCursor(a->get<std::string>());
    if (!cursor || cursor->resource != r) {
      ex.errors.push_back(GraphqlError("Invalid cursor for the 'after' argument", "BAD_REQUEST"));
      ex.data = nullptr;
      return ex;
    }
    after_id = cursor->edge_id;
  }
  const auto& table = shop.store.table(r);
  nlohmann::json edges = nlohmann::json::array();
  nlohmann::json nodes = nlohmann::json::array();
  std::int64_t last_id = 0;
  bool has_next = false;
  for (auto it = table.upper_bound(after_id); it != table.end(); ++it) {
    if (!MatchesFilter(r, it->second, filter)) continue;
    if (static_cast<int>(edges.size()) == first) {
      has_next = true;
      break;
    }
    nlohmann::json node = r == Resource::kProducts ? ProductNode(it->second, nullptr)
                          : r == Resource::kOrders ? OrderNode(it->second)
                                                   : CustomerNode(it->second);
    const std::string cursor = EncodeCursor(PageCursor{r, true, it->first, filter});
    nodes.push_back(node);
    edges.push_back({{"cursor", cursor}, {"node", std::move(node)}});
    last_id = it->first;
  }
  const bool empty = edges.empty();
  nlohmann::json page_info = {
      {"hasNextPage", has_next},
      {"hasPreviousPage", after_id != 0},
      {"startCursor", empty ? nlohmann::json(nullptr) : edges.front()["cursor"]},
      {"endCursor", empty ? nlohmann::json(nullptr)
                          : nlohmann::json(EncodeCursor(PageCursor{r, true, last_id, filter}))}};
  ex.actual_cost = 2 + static_cast<int>(edges.size());
  ex.data = {{field,
              {{"edges", std::move(edges)},
               {"nodes", std::move(nodes)},
               {"pageInfo", std::move(page_info)}}}};
  return ex;
}

// The product an identifier names ({"id"} | {"handle"} | {"customId"}), or null.
Entity* FindByIdentifier(Shop& shop, const nlohmann::json& identifier) {
  if (!identifier.is_object()) return nullptr;
  auto& table = shop.store.table(Resource::kProducts);
  if (const auto id = identifier.find("id"); id != identifier.end()) {
    const auto parsed = IdFromJson(*id);
    return parsed ? shop.store.Find(Resource::kProducts, *parsed) : nullptr;
  }
  if (const auto h = identifier.find("handle"); h != identifier.end() && h->is_string()) {
    for (auto& [pid, e] : table) {
      if (StringField(e.rest, "handle") == *h) return &e;
    }
    return nullptr;
  }
  if (const auto c = identifier.find("customId"); c != identifier.end() && c->is_object()) {
    const std::string ns = StringField(*c, "namespace");
    const std::string key = StringField(*c, "key");
    const nlohmann::json value = c->contains("value") ? (*c)["value"] : nlohmann::json();
    for (auto& [pid, e] : table) {
      for (const auto& m : e.metafields) {
        if (m["namespace"] == ns && m["key"] == key && m["value"] == value) return &e;
      }
    }
  }
  return nullptr;
}

std::string Slug(const std::string& title) {
  std::string slug;
  for (const char c : title) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug.empty() ? "product" : slug;
}

nlohmann::json UserError(nlohmann::json field, const std::string& message,
                         const std::string& code) {
  return {{"field", std::move(field)}, {"message", message}, {"code", code}};
}

Execution RunProductSet(Simulator& sim, Shop& shop, const GraphqlRequest& req) {
  Execution ex;
  ex.actual_cost = 10;
  const auto input = req.variables.value("input", nlohmann::json());
  const auto identifier = req.variables.value("identifier", nlohmann::json());
  // `errors` is a JSON array: build it with nlohmann::json::array({...}), never a bare
  // {UserError(...)} (one json in braces is a copy under clang, an array under GCC).
  auto result = [&](nlohmann::json product, nlohmann::json errors) {
    ex.data = {{"productSet",
                {{"product", std::move(product)},
                 {"productSetOperation", nullptr},
                 {"userErrors", std::move(errors)}}}};
    return ex;
  };
  if (!input.is_object()) {
    return result(nullptr,
                  nlohmann::json::array({UserError({"input"}, "Input is required", "INVALID")}));
  }
  Entity* existing = nullptr;
  if (identifier.is_object()) {
    existing = FindByIdentifier(shop, identifier);
    if (existing == nullptr && identifier.contains("id")) {
      return result(nullptr,
                    nlohmann::json::array({UserError({"identifier", "id"}, "Product does not exist",
                                                     "PRODUCT_DOES_NOT_EXIST")}));
    }
  } else if (input.contains("id")) {
    const auto id = IdFromJson(input["id"]);
    existing = id ? shop.store.Find(Resource::kProducts, *id) : nullptr;
    if (existing == nullptr) {
      return result(nullptr,
                    nlohmann::json::array({UserError({"input", "id"}, "Product does not exist",
                                                     "PRODUCT_DOES_NOT_EXIST")}));
    }
  }
  nlohmann::json fields = nlohmann::json::object();
  if (input.contains("title")) fields["title"] = input["title"];
  if (input.contains("handle")) fields["handle"] = input["handle"];
  if (input.contains("descriptionHtml")) fields["body_html"] = input["descriptionHtml"];
  if (input.contains("vendor")) fields["vendor"] = input["vendor"];
  if (input.contains("productType")) fields["product_type"] = input["productType"];
  if (input.contains("status") && input["status"].is_string()) {
    std::string s = input["status"];
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    fields["status"] = s;
  }
  if (input.contains("tags")) {
    if (input["tags"].is_array()) {
      std::string tags;
      for (const auto& t : input["tags"]) {
        if (t.is_string()) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
      }
      fields["tags"] = tags;
    } else {
      fields["tags"] = input["tags"];
    }
  }
  if (input.contains("metafields")) fields["metafields"] = input["metafields"];
  const std::int64_t product_id = existing ? existing->id : shop.store.NextId();
  if (input.contains("variants")) {
    VariantSetResult variants =
        BuildVariants(shop, product_id, input, existing ? existing->rest : nlohmann::json(),
                      FormatRestTime(sim.clock().NowMs()));
    if (!variants.user_errors.empty()) return result(nullptr, std::move(variants.user_errors));
    fields["options"] = std::move(variants.options);
    fields["variants"] = std::move(variants.variants);
  }
  if (!existing) {
    fields["id"] = product_id;
    if (!fields.contains("title") || !fields["title"].is_string() ||
        fields["title"].get<std::string>().empty()) {
      return result(nullptr, nlohmann::json::array(
                                 {UserError({"input", "title"}, "Title can't be blank", "BLANK")}));
    }
    if (!fields.contains("handle")) fields["handle"] = Slug(fields["title"]);
  }
  if (fields.contains("handle")) {
    for (const auto& [pid, e] : shop.store.table(Resource::kProducts)) {
      if (StringField(e.rest, "handle") == fields["handle"] && (!existing || pid != existing->id)) {
        return result(nullptr,
                      nlohmann::json::array({UserError({"input", "handle"},
                                                       "Handle has already been taken", "TAKEN")}));
      }
    }
  }
  Result<nlohmann::json> saved =
      existing ? UpdateEntity(sim, shop, Resource::kProducts, existing->id, fields)
               : CreateEntity(sim, shop, Resource::kProducts, fields);
  if (!saved.ok()) {
    return result(nullptr, nlohmann::json::array(
                               {UserError({"input"}, saved.status().message(), "INVALID")}));
  }
  const auto id = *IdFromJson((*saved)["id"]);
  return result(ProductNode(*shop.store.Find(Resource::kProducts, id),
                            identifier.value("customId", nlohmann::json())),
                nlohmann::json::array());
}

Execution RunProductDelete(Simulator& sim, Shop& shop, const GraphqlRequest& req) {
  Execution ex;
  ex.actual_cost = 10;
  nlohmann::json id_value;
  if (const auto input = req.variables.find("input");
      input != req.variables.end() && input->is_object()) {
    id_value = input->value("id", nlohmann::json());
  } else if (req.variables.contains("id")) {
    id_value = req.variables["id"];
  }
  const auto id = IdFromJson(id_value);
  if (id && DeleteEntity(sim, shop, Resource::kProducts, *id).ok()) {
    ex.data = {
        {"productDelete",
         {{"deletedProductId", MakeGid("Product", *id)}, {"userErrors", nlohmann::json::array()}}}};
  } else {
    ex.data = {{"productDelete",
                {{"deletedProductId", nullptr},
                 {"userErrors", {{{"field", {"id"}}, {"message", "Product does not exist"}}}}}}};
  }
  return ex;
}

nlohmann::json CostJson(Shop& shop, std::int64_t now, int requested, nlohmann::json actual) {
  return {{"requestedQueryCost", requested},
          {"actualQueryCost", std::move(actual)},
          {"throttleStatus",
           {{"maximumAvailable", shop.graphql_bucket.capacity()},
            {"currentlyAvailable", shop.graphql_bucket.Available(now)},
            {"restoreRate", shop.graphql_bucket.restore_per_s()}}}};
}

}  // namespace

SimReply HandleAdminGraphql(Simulator& sim, Shop& shop, const SimRequest& request,
                            bool forced_throttle, nlohmann::json& log_entry) {
  if (request.method != "POST") {
    return SimReply::Json(405, {{"errors", "GraphQL takes POST"}});
  }
  auto parsed = ParseGraphqlRequest(request.body);
  if (!parsed.ok()) {
    return SimReply::Json(400, {{"errors", {{"query", parsed.status().message()}}}});
  }
  const GraphqlRequest& req = *parsed;
  log_entry["operationName"] = req.operation_name;
  const Operation* op = Recognise(req);
  if (op == nullptr) {
    return SimReply::Json(
        200, {{"errors",
               {GraphqlError("The simulator does not know operation '" + req.operation_name +
                                 "' (root field '" + req.root_field +
                                 "'); it knows Shop, Products, Orders, Customers, "
                                 "ProductByIdentifier, ProductSet, ProductDelete",
                             "UNSUPPORTED_BY_SIMULATOR")}}});
  }
  log_entry["operationName"] = op->name;
  if (op->mutation) log_entry["variables"] = req.variables;

  // Requested cost, before anything runs.
  int requested = 1;
  std::optional<int> first;
  if (op->mutation) {
    requested = 10;
  } else if (op->name == "Products" || op->name == "Orders" || op->name == "Customers") {
    first = FirstArgument(req);
    if (!first) {
      return SimReply::Json(200, {{"errors",
                                   {GraphqlError("you must provide one of first or last "
                                                 "to properly paginate the `" +
                                                     op->root_field + "` connection.",
                                                 "BAD_REQUEST")}}});
    }
    requested = 2 + std::max(0, *first);
  }
  const std::int64_t now = sim.clock().NowMs();
  if (requested > kMaxSingleQueryCost) {
    nlohmann::json error = {
        {"message", "Query cost is " + std::to_string(requested) +
                        ", which exceeds the single query max cost limit (" +
                        std::to_string(kMaxSingleQueryCost) +
                        ").\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more "
                        "information on how the\ncost of a query is calculated.\n"},
        {"extensions",
         {{"code", "MAX_COST_EXCEEDED"},
          {"cost", requested},
          {"maxCost", kMaxSingleQueryCost},
          {"documentation", kRateLimitDocs}}}};
    return SimReply::Json(
        200,
        {{"errors", {error}}, {"extensions", {{"cost", CostJson(shop, now, requested, nullptr)}}}});
  }
  if (forced_throttle || !shop.graphql_bucket.TryCharge(requested, now)) {
    nlohmann::json error = {
        {"message", "Throttled"},
        {"extensions", {{"code", "THROTTLED"}, {"documentation", kRateLimitDocs}}}};
    log_entry["throttled"] = true;
    return SimReply::Json(
        200,
        {{"errors", {error}}, {"extensions", {{"cost", CostJson(shop, now, requested, nullptr)}}}});
  }

  Execution ex;
  if (first && *first > kMaxPageSize) {
    ex.data = nullptr;
    ex.errors.push_back(GraphqlError("The page size of " + std::to_string(*first) +
                                         " exceeds the maximum of 250 for the `" + op->root_field +
                                         "` connection.",
                                     "BAD_REQUEST"));
    ex.actual_cost = 0;
  } else if (op->name == "Shop") {
    ex.actual_cost = 1;
    ex.data = {{"shop",
                {{"id", MakeGid("Shop", shop.config.shop_id)},
                 {"name", shop.config.name},
                 {"myshopifyDomain", shop.config.domain},
                 {"currencyCode", "USD"},
                 {"ianaTimezone", "America/New_York"},
                 {"plan", {{"displayName", shop.config.plan}}}}}};
  } else if (op->name == "Products") {
    ex = RunConnection(shop, Resource::kProducts, req, *first, "products");
  } else if (op->name == "Orders") {
    ex = RunConnection(shop, Resource::kOrders, req, *first, "orders");
  } else if (op->name == "Customers") {
    ex = RunConnection(shop, Resource::kCustomers, req, *first, "customers");
  } else if (op->name == "ProductByIdentifier") {
    ex.actual_cost = 1;
    const auto identifier = req.variables.value("identifier", nlohmann::json());
    const Entity* found = FindByIdentifier(shop, identifier);
    ex.data = {{"productByIdentifier",
                found ? ProductNode(*found, identifier.value("customId", nlohmann::json()))
                      : nlohmann::json(nullptr)}};
  } else if (op->name == "ProductSet") {
    ex = RunProductSet(sim, shop, req);
  } else if (op->name == "ProductDelete") {
    ex = RunProductDelete(sim, shop, req);
  }
  const int actual = std::min(requested, ex.actual_cost);
  shop.graphql_bucket.Refund(requested - actual, now);
  nlohmann::json body = {{"data", ex.data},
                         {"extensions", {{"cost", CostJson(shop, now, requested, actual)}}}};
  if (!ex.errors.empty()) body["errors"] = ex.errors;
  return SimReply::Json(200, body);
}

}  // namespace storeflow::shopify_sim
