#include "entity_store.h"

#include <cctype>
#include <charconv>

#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

std::optional<std::int64_t> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

bool IsNullOrAbsent(const nlohmann::json& obj, const char* key) {
  const auto it = obj.find(key);
  return it == obj.end() || it->is_null();
}

}  // namespace

bool SameEmail(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string StringField(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string_view ResourceName(Resource r) {
  switch (r) {
    case Resource::kOrders: return "orders";
    case Resource::kProducts: return "products";
    case Resource::kCustomers: return "customers";
    case Resource::kCheckouts: return "checkouts";
  }
  return "";
}

std::string_view SingularName(Resource r) {
  switch (r) {
    case Resource::kOrders: return "order";
    case Resource::kProducts: return "product";
    case Resource::kCustomers: return "customer";
    case Resource::kCheckouts: return "checkout";
  }
  return "";
}

std::string_view GidType(Resource r) {
  switch (r) {
    case Resource::kOrders: return "Order";
    case Resource::kProducts: return "Product";
    case Resource::kCustomers: return "Customer";
    case Resource::kCheckouts: return "AbandonedCheckout";
  }
  return "";
}

std::optional<Resource> ParseResource(std::string_view name) {
  for (std::size_t i = 0; i < kResourceCount; ++i) {
    const auto r = static_cast<Resource>(i);
    if (ResourceName(r) == name) return r;
  }
  return std::nullopt;
}

std::string MakeGid(std::string_view type, std::int64_t id) {
  return "gid://shopify/" + std::string(type) + "/" + std::to_string(id);
}

std::optional<std::int64_t> ParseIdOrGid(std::string_view text, std::string_view type) {
  constexpr std::string_view kPrefix = "gid://shopify/";
  if (text.substr(0, kPrefix.size()) != kPrefix) return ParseDecimal(text);
  std::string_view rest = text.substr(kPrefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  if (!type.empty() && rest.substr(0, slash) != type) return std::nullopt;
  rest = rest.substr(slash + 1);
  rest = rest.substr(0, rest.find('?'));
  return ParseDecimal(rest);
}

std::optional<std::int64_t> IdFromJson(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v < 0) return std::nullopt;
    return v;
  }
  if (value.is_string()) return ParseIdOrGid(value.get<std::string>());
  return std::nullopt;
}

nlohmann::json ListFilter::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  if (updated_at_min_ms) j["u"] = *updated_at_min_ms;
  if (since_id) j["s"] = *since_id;
  if (!status.empty()) j["st"] = status;
  if (!handle.empty()) j["h"] = handle;
  if (!email.empty()) j["e"] = email;
  return j;
}

std::optional<ListFilter> ListFilter::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  ListFilter f;
  if (j.contains("u")) {
    if (!j["u"].is_number_integer()) return std::nullopt;
    f.updated_at_min_ms = j["u"].get<std::int64_t>();
  }
  if (j.contains("s")) {
    const auto id = IdFromJson(j["s"]);
    if (!id) return std::nullopt;
    f.since_id = *id;
  }
  for (const auto& [key, field] :
       {std::pair{"st", &f.status}, std::pair{"h", &f.handle}, std::pair{"e", &f.email}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return std::nullopt;
    *field = j[key].get<std::string>();
  }
  return f;
}

bool MatchesFilter(Resource r, const Entity& e, const ListFilter& filter) {
  if (filter.since_id && e.id <= *filter.since_id) return false;
  if (filter.updated_at_min_ms && e.updated_ms < *filter.updated_at_min_ms) return false;
  if (r == Resource::kOrders) {
    const std::string status = filter.status.empty() ? "open" : filter.status;
    const bool cancelled = !IsNullOrAbsent(e.rest, "cancelled_at");
    const bool closed = !IsNullOrAbsent(e.rest, "closed_at");
    if (status == "open" && (cancelled || closed)) return false;
    if (status == "closed" && !closed) return false;
    if (status == "cancelled" && !cancelled) return false;
  }
  if (r == Resource::kCheckouts && !IsNullOrAbsent(e.rest, "completed_at")) return false;
  if (!filter.handle.empty() && StringField(e.rest, "handle") != filter.handle) return false;
  if (!filter.email.empty()) {
    const auto it = e.rest.find("email");
    if (it == e.rest.end() || !it->is_string() ||
        !SameEmail(it->get_ref<const std::string&>(), filter.email)) {
      return false;
    }
  }
  return true;
}

Entity* EntityStore::Find(Resource r, std::int64_t id) {
  auto& t = table(r);
  const auto it = t.find(id);
  return it == t.end() ? nullptr : &it->second;
}

Entity& EntityStore::Put(Resource r, nlohmann::json rest) {
  const std::int64_t id = *IdFromJson(rest.at("id"));
  rest["id"] = id;  // always a signed 64-bit integer in the JSON
  rest["admin_graphql_api_id"] = MakeGid(GidType(r), id);
  Entity e;
  e.id = id;
  if (const auto it = rest.find("updated_at"); it != rest.end() && it->is_string()) {
    e.updated_ms = ParseIsoTime(it->get<std::string>()).value_or(0);
  }
  auto& slot = table(r)[id];
  e.metafields = std::move(slot.metafields);
  e.rest = std::move(rest);
  slot = std::move(e);
  if (id >= next_id_) next_id_ = id + 1;
  return slot;
}

bool EntityStore::Erase(Resource r, std::int64_t id) {
  return table(r).erase(id) > 0;
}

std::int64_t EntityStore::NextId() {
  return next_id_++;
}

}  // namespace storeflow::shopify_sim
