#pragma once

// The entities of one simulated shop (orders, products, customers, abandoned
// checkouts, carts) in Shopify's REST shapes, keyed by their 64-bit ids. Ids are
// std::int64_t everywhere and stay integers in the JSON (never a double).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace storeflow::shopify_sim {

enum class Resource { kOrders = 0, kProducts, kCustomers, kCheckouts };
inline constexpr std::size_t kResourceCount = 4;

std::string_view ResourceName(Resource r);  // "orders"
std::string_view SingularName(Resource r);  // "order"
std::string_view GidType(Resource r);       // "Order"
std::optional<Resource> ParseResource(std::string_view name);

// "gid://shopify/Order/123"
std::string MakeGid(std::string_view type, std::int64_t id);
// The id of "gid://shopify/{type}/{id}" (any type when `type` is empty), or of a decimal
// string; nullopt when the text is neither.
std::optional<std::int64_t> ParseIdOrGid(std::string_view text, std::string_view type = {});
// An id from a JSON value: an integer, a decimal string or a GID string.
std::optional<std::int64_t> IdFromJson(const nlohmann::json& value);

// obj[key] when it is a string, else "" (absent, null or another type: no exception).
std::string StringField(const nlohmann::json& obj, const char* key);
// Emails compare ASCII case-insensitively, as Shopify's search does (`email:Jon@X.com`).
bool SameEmail(std::string_view a, std::string_view b);

struct Entity {
  std::int64_t id = 0;
  std::int64_t updated_ms = 0;             // updated_at, parsed (filters, ordering)
  nlohmann::json rest;                     // Shopify's REST shape
  std::vector<nlohmann::json> metafields;  // products: {namespace,key,type,value}
};

// The REST filters a list or count can apply.
struct ListFilter {
  std::optional<std::int64_t> updated_at_min_ms;
  std::optional<std::int64_t> since_id;
  std::string status;  // orders: open (default) | closed | cancelled | any
  std::string handle;  // products
  std::string email;   // customers (search)
  nlohmann::json ToJson() const;
  static std::optional<ListFilter> FromJson(const nlohmann::json& j);
};

bool MatchesFilter(Resource r, const Entity& e, const ListFilter& filter);

struct Cart {
  std::string token;
  std::string email;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  bool converted = false;
  std::optional<std::int64_t> order_id;
  nlohmann::json rest;  // the carts/create webhook shape
};

class EntityStore {
 public:
  using Table = std::map<std::int64_t, Entity>;

  Table& table(Resource r) { return tables_[static_cast<std::size_t>(r)]; }
  const Table& table(Resource r) const { return tables_[static_cast<std::size_t>(r)]; }
  std::map<std::string, Cart>& carts() { return carts_; }

  Entity* Find(Resource r, std::int64_t id);
  // Inserts or replaces `rest` (which must hold an integer "id"); fills
  // admin_graphql_api_id and parses updated_at.
  Entity& Put(Resource r, nlohmann::json rest);
  bool Erase(Resource r, std::int64_t id);

  // A fresh id above every id held (> 2^53).
  std::int64_t NextId();

 private:
  std::array<Table, kResourceCount> tables_;
  std::map<std::string, Cart> carts_;
  std::int64_t next_id_ = 830000000000000001LL;
};

}  // namespace storeflow::shopify_sim
