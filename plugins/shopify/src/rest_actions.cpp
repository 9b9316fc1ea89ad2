// REST Admin actions: counts, one-page (or capped multi-page) listings with a
// resumable cursor, single gets and the customer search.
#include <algorithm>
#include <cctype>

#include "json_input.h"
#include "shopify_actions.h"
#include "shopify_ids.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Error;
using sdk::Json;

constexpr std::int64_t kMaxLimit = 250;
constexpr std::int64_t kMaxPages = 1000;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// YYYY-MM-DD, optionally followed by a time: enough to catch a wrong field early;
// Shopify parses the rest.
bool LooksLikeIso8601(const std::string& s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return s.size() == 10 || s[10] == 'T' || s[10] == ' ';
}

void AddTime(QueryParams& query, const Json& input, const char* field) {
  if (auto value = storage::OptionalString(input, field)) {
    if (!LooksLikeIso8601(*value)) {
      throw Error::Permanent("invalid_input", std::string("`") + field +
                                                  "` must be an ISO 8601 time such as "
                                                  "2026-01-01T00:00:00Z, got \"" +
                                                  *value + "\"");
    }
    query.emplace_back(field, *value);
  }
}

void AddEnum(QueryParams& query, const Json& input, const char* field,
             std::initializer_list<const char*> valid) {
  auto value = storage::OptionalString(input, field);
  if (!value) return;
  std::string list;
  for (const char* v : valid) {
    if (*value == v) {
      query.emplace_back(field, *value);
      return;
    }
    list += (list.empty() ? "" : ", ") + std::string(v);
  }
  throw Error::Permanent("invalid_input",
                         std::string("`") + field + "` is \"" + *value + "\"; valid: " + list);
}

// `fields` as a list of names or a comma-separated string.
std::optional<std::string> Fields(const Json& input) {
  auto it = input.find("fields");
  if (it == input.end() || it->is_null()) return std::nullopt;
  std::string joined;
  if (it->is_string()) {
    joined = it->get<std::string>();
  } else if (it->is_array()) {
    for (const Json& f : *it) {
      if (!f.is_string()) throw Error::Permanent("invalid_input", "`fields` must list names");
      joined += (joined.empty() ? "" : ",") + f.get<std::string>();
    }
  } else {
    throw Error::Permanent("invalid_input", "`fields` must be a list of names or a string");
  }
  joined.erase(std::remove(joined.begin(), joined.end(), ' '), joined.end());
  if (joined.empty()) return std::nullopt;
  return joined;
}

// The filters of `resource` (not sent with a cursor: Shopify refuses them then).
QueryParams Filters(const std::string& resource, const Json& input) {
  QueryParams query;
  for (const char* f : {"updated_at_min", "updated_at_max", "created_at_min", "created_at_max"}) {
    AddTime(query, input, f);
  }
  if (resource == "orders") {
    AddEnum(query, input, "status", {"open", "closed", "cancelled", "any"});
    AddEnum(query, input, "financial_status",
            {"authorized", "pending", "paid", "partially_paid", "refunded", "voided",
             "partially_refunded", "any", "unpaid"});
  } else if (resource == "products") {
    AddEnum(query, input, "status", {"active", "archived", "draft"});
    if (auto handle = storage::OptionalString(input, "handle"))
      query.emplace_back("handle", *handle);
  } else if (resource == "checkouts") {
    AddEnum(query, input, "status", {"open", "closed"});
  }
  return query;
}

}  // namespace

Json ShopifyActions::Count(const std::string& resource, const Json& input, const ShopConfig& shop,
                           const sdk::Call& call) {
  RestAnswer answer =
      client_.Rest(shop, "GET", resource + "/count.json", Filters(resource, input), nullptr, call);
  auto it = answer.body.find("count");
  if (it == answer.body.end() || !it->is_number_integer()) {
    throw Error::Retryable("bad_response",
                           "GET " + resource + "/count.json: the answer has no integer `count`");
  }
  return Json{{"count", it->get<std::int64_t>()}};
}

Json ShopifyActions::List(const std::string& resource, const Json& input, const ShopConfig& shop,
                          const sdk::Call& call) {
  const std::int64_t limit = storage::OptionalInteger(input, "limit").value_or(50);
  if (limit < 1 || limit > kMaxLimit) {
    throw Error::Permanent("invalid_input", "`limit` must be between 1 and 250");
  }
  const std::int64_t max_pages = storage::OptionalInteger(input, "max_pages").value_or(1);
  if (max_pages < 1 || max_pages > kMaxPages) {
    throw Error::Permanent("invalid_input", "`max_pages` must be between 1 and 1000");
  }
  std::optional<std::string> cursor = storage::OptionalString(input, "cursor");
  if (cursor && cursor->empty()) cursor.reset();
  const std::optional<std::string> fields = Fields(input);
  QueryParams filters = Filters(resource, input);
  if (input.contains("since_id") && !input["since_id"].is_null()) {
    filters.emplace_back("since_id", std::to_string(RequiredId(input, "since_id", "")));
  }
  if (cursor && !filters.empty()) {
    throw Error::Permanent("invalid_input",
                           "`cursor` continues an earlier listing with its filters: send only "
                           "`limit`, `fields` and `max_pages` with it (Shopify refuses other "
                           "parameters with page_info), not `" +
                               filters.front().first + "`");
  }
  Json items = Json::array();
  std::int64_t pages = 0;
  std::optional<std::string> next = cursor;
  bool first = true;
  while (pages < max_pages && (first || next)) {
    QueryParams query{{"limit", std::to_string(limit)}};
    if (fields) query.emplace_back("fields", *fields);
    if (next) {
      query.emplace_back("page_info", *next);
    } else {
      query.insert(query.end(), filters.begin(), filters.end());
    }
    RestAnswer answer = client_.Rest(shop, "GET", resource + ".json", query, nullptr, call);
    auto list = answer.body.find(resource);
    if (list == answer.body.end() || !list->is_array()) {
      throw Error::Retryable(
          "bad_response", "GET " + resource + ".json: the answer has no `" + resource + "` list");
    }
    for (Json& item : *list) items.push_back(std::move(item));
    ++pages;
    first = false;
    next = answer.links.next_page_info;
  }
  Json out{{resource, std::move(items)}, {"has_more", next.has_value()}, {"pages", pages}};
  out["cursor"] = next ? Json(*next) : Json(nullptr);
  return out;
}

Json ShopifyActions::Get(const std::string& resource, const std::string& gid_type,
                         const Json& input, const ShopConfig& shop, const sdk::Call& call) {
  const std::int64_t id = RequiredId(input, "id", gid_type);
  QueryParams query;
  if (auto fields = Fields(input)) query.emplace_back("fields", *fields);
  RestAnswer answer = client_.Rest(shop, "GET", resource + "/" + std::to_string(id) + ".json",
                                   query, nullptr, call);
  std::string key = resource.substr(0, resource.size() - 1);  // orders -> order
  auto it = answer.body.find(key);
  if (it == answer.body.end() || !it->is_object()) {
    throw Error::Retryable("bad_response", "GET " + resource + "/" + std::to_string(id) +
                                               ".json: the answer has no `" + key + "` object");
  }
  return *it;
}

Json ShopifyActions::CustomerByEmail(const Json& input, const ShopConfig& shop,
                                     const sdk::Call& call) {
  std::string email = storage::RequiredString(input, "email");
  if (email.find('@') == std::string::npos || email.find_first_of(" \"") != std::string::npos) {
    throw Error::Permanent("invalid_input", "`email` is not an email address: \"" + email + "\"");
  }
  QueryParams query{{"query", "email:" + email}, {"limit", "10"}};
  if (auto fields = Fields(input)) {
    // The match below needs `email` in each answer.
    query.emplace_back(
        "fields",
        *fields + (("," + *fields + ",").find(",email,") == std::string::npos ? ",email" : ""));
  }
  RestAnswer answer = client_.Rest(shop, "GET", "customers/search.json", query, nullptr, call);
  auto list = answer.body.find("customers");
  if (list == answer.body.end() || !list->is_array()) {
    throw Error::Retryable("bad_response",
                           "GET customers/search.json: the answer has no `customers` list");
  }
  const std::string wanted = Lower(email);
  for (const Json& customer : *list) {
    if (customer.is_object() && customer.contains("email") && customer["email"].is_string() &&
        Lower(customer["email"].get<std::string>()) == wanted) {
      return customer;
    }
  }
  return Json(nullptr);  // search is fuzzy: only an exact (case-insensitive) match counts
}

}  // namespace storeflow::plugins::shopify
