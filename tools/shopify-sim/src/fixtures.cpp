#include "fixtures.h"

#include <fstream>
#include <sstream>

#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

Result<nlohmann::json> ReadJsonFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path.string() + ": cannot be opened");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument(path.string() + ": not JSON (" + e.what() + ")");
  }
}

Status RequireString(const nlohmann::json& obj, const char* key, const std::string& where,
                     std::string* out) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get<std::string>().empty()) {
    return InvalidArgument(where + "." + key + ": a non-empty string is required");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

std::int64_t ShopIdFor(const std::string& domain) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : domain) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return 10000000 + static_cast<std::int64_t>(h % 90000000);
}

}  // namespace

Status AddEntityFromJson(Shop& shop, Resource r, nlohmann::json rest, const std::string& where) {
  if (!rest.is_object()) return InvalidArgument(where + ": an object is expected");
  if (const auto it = rest.find("id"); it == rest.end() || it->is_null()) {
    rest["id"] = shop.store.NextId();
  } else if (!IdFromJson(*it)) {
    return InvalidArgument(where + ".id: an integer id (or a GID) is expected");
  }
  if (const auto it = rest.find("updated_at");
      it != rest.end() && it->is_string() && !ParseIsoTime(it->get<std::string>())) {
    return InvalidArgument(where + ".updated_at: not an ISO 8601 time: " + it->get<std::string>());
  }
  shop.store.Put(r, std::move(rest));
  return Status::Ok();
}

Status AddCartFromJson(Shop& shop, nlohmann::json rest, std::int64_t now_ms,
                       const std::string& where) {
  if (!rest.is_object()) return InvalidArgument(where + ": an object is expected");
  Cart cart;
  STOREFLOW_RETURN_IF_ERROR(RequireString(rest, "token", where, &cart.token));
  cart.email = StringField(rest, "email");
  cart.created_ms = now_ms;
  cart.updated_ms = now_ms;
  for (const auto& [key, field] :
       {std::pair{"created_at", &cart.created_ms}, std::pair{"updated_at", &cart.updated_ms}}) {
    if (const auto it = rest.find(key); it != rest.end() && it->is_string()) {
      const auto ms = ParseIsoTime(it->get<std::string>());
      if (!ms) return InvalidArgument(where + "." + key + ": not an ISO 8601 time");
      *field = *ms;
    }
  }
  if (!rest.contains("line_items") || !rest["line_items"].is_array()) {
    return InvalidArgument(where + ".line_items: an array is required");
  }
  cart.rest = std::move(rest);
  shop.store.carts()[cart.token] = std::move(cart);
  return Status::Ok();
}

Status LoadFixtures(const std::filesystem::path& dir, Simulator& sim) {
  auto shops = ReadJsonFile(dir / "shops.json");
  if (!shops.ok()) return shops.status();
  if (!shops->is_array() || shops->empty()) {
    return InvalidArgument((dir / "shops.json").string() +
                           ": a non-empty array of shops is expected");
  }
  std::lock_guard lock(sim.mutex());
  for (std::size_t i = 0; i < shops->size(); ++i) {
    const auto& item = (*shops)[i];
    const std::string where = (dir / "shops.json").string() + ": $[" + std::to_string(i) + "]";
    if (!item.is_object()) return InvalidArgument(where + ": an object is expected");
    ShopConfig config;
    STOREFLOW_RETURN_IF_ERROR(RequireString(item, "domain", where, &config.domain));
    STOREFLOW_RETURN_IF_ERROR(RequireString(item, "admin_token", where, &config.admin_token));
    STOREFLOW_RETURN_IF_ERROR(
        RequireString(item, "storefront_token", where, &config.storefront_token));
    STOREFLOW_RETURN_IF_ERROR(RequireString(item, "webhook_secret", where, &config.webhook_secret));
    config.plan = item.value("plan", "standard");
    config.name = item.value("name", config.domain.substr(0, config.domain.find('.')));
    config.shop_id = ShopIdFor(config.domain);
    PlanLimits limits;
    if (!PlanLimitsFor(config.plan, &limits)) {
      return InvalidArgument(where + ".plan: '" + config.plan +
                             "' is not a plan the simulator knows (standard, advanced, plus)");
    }
    if (sim.FindShop(config.domain) != nullptr) {
      return InvalidArgument(where + ".domain: '" + config.domain + "' appears twice");
    }
    Shop& shop = sim.AddShop(config, limits);
    const auto shop_dir = dir / config.domain;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      const auto resource = static_cast<Resource>(r);
      const auto file = shop_dir / (std::string(ResourceName(resource)) + ".json");
      if (!std::filesystem::exists(file)) continue;
      auto rows = ReadJsonFile(file);
      if (!rows.ok()) return rows.status();
      if (!rows->is_array()) return InvalidArgument(file.string() + ": an array is expected");
      for (std::size_t k = 0; k < rows->size(); ++k) {
        STOREFLOW_RETURN_IF_ERROR(AddEntityFromJson(
            shop, resource, (*rows)[k], file.string() + ": $[" + std::to_string(k) + "]"));
      }
    }
    const auto carts_file = shop_dir / "carts.json";
    if (std::filesystem::exists(carts_file)) {
      auto rows = ReadJsonFile(carts_file);
      if (!rows.ok()) return rows.status();
      if (!rows->is_array()) return InvalidArgument(carts_file.string() + ": an array is expected");
      for (std::size_t k = 0; k < rows->size(); ++k) {
        STOREFLOW_RETURN_IF_ERROR(
            AddCartFromJson(shop, (*rows)[k], sim.clock().NowMs(),
                            carts_file.string() + ": $[" + std::to_string(k) + "]"));
      }
    }
  }
  return Status::Ok();
}

}  // namespace storeflow::shopify_sim
