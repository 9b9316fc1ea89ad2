#include "storefront_graphql.h"

#include <string>

#include "graphql_request.h"
#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

nlohmann::json Money(const nlohmann::json& amount) {
  return {{"amount", amount.is_string() ? amount : nlohmann::json("0.00")},
          {"currencyCode", "USD"}};
}

std::int64_t Cents(const std::string& text) {
  const auto dot = text.find('.');
  try {
    const std::int64_t whole = std::stoll(text.substr(0, dot));
    const std::int64_t frac =
        dot == std::string::npos ? 0 : std::stoll((text.substr(dot + 1) + "00").substr(0, 2));
    return whole * 100 + frac;
  } catch (const std::exception&) {
    return 0;
  }
}

std::string FromCents(std::int64_t cents) {
  std::string frac = std::to_string(cents % 100);
  if (frac.size() < 2) frac = "0" + frac;
  return std::to_string(cents / 100) + "." + frac;
}

// The token of "gid://shopify/Cart/{token}[?key=...]".
std::string CartToken(const std::string& id) {
  constexpr std::string_view kPrefix = "gid://shopify/Cart/";
  if (id.rfind(kPrefix, 0) != 0) return {};
  return id.substr(kPrefix.size(), id.find('?') == std::string::npos
                                       ? std::string::npos
                                       : id.find('?') - kPrefix.size());
}

nlohmann::json CartJson(const Shop& shop, const Cart& cart) {
  nlohmann::json edges = nlohmann::json::array();
  std::int64_t subtotal = 0;
  int quantity = 0;
  int index = 0;
  for (const auto& line : cart.rest.value("line_items", nlohmann::json::array())) {
    const int q = line.value("quantity", 1);
    const std::string price = line.value("price", nlohmann::json("0.00")).is_string()
                                  ? line.value("price", "0.00")
                                  : "0.00";
    const std::int64_t line_total = Cents(price) * q;
    subtotal += line_total;
    quantity += q;
    const auto variant_id = line.value("variant_id", nlohmann::json());
    const auto product_id = line.value("product_id", nlohmann::json());
    std::string variant_title = line.value("variant_title", nlohmann::json("")).is_string()
                                    ? StringField(line, "variant_title")
                                    : "";
    if (variant_title.empty()) variant_title = StringField(line, "title");
    nlohmann::json node = {
        {"id", "gid://shopify/CartLine/" + std::to_string(++index) + "?cart=" + cart.token},
        {"quantity", q},
        {"cost",
         {{"totalAmount", Money(FromCents(line_total))}, {"amountPerQuantity", Money(price)}}},
        {"merchandise",
         {{"__typename", "ProductVariant"},
          {"id", variant_id.is_number()
                     ? nlohmann::json("gid://shopify/ProductVariant/" + variant_id.dump())
                     : nlohmann::json(nullptr)},
          {"title", variant_title},
          {"sku", line.value("sku", nlohmann::json(nullptr))},
          {"price", Money(price)},
          {"product",
           {{"id", product_id.is_number()
                       ? nlohmann::json("gid://shopify/Product/" + product_id.dump())
                       : nlohmann::json(nullptr)},
            {"title", line.value("product_title", StringField(line, "title"))},
            {"handle", StringField(line, "handle")}}}}}};
    edges.push_back({{"cursor", std::to_string(index)}, {"node", std::move(node)}});
  }
  const std::string total = FromCents(subtotal);
  return {{"id", "gid://shopify/Cart/" + cart.token},
          {"checkoutUrl", "https://" + shop.config.domain + "/cart/c/" + cart.token},
          {"createdAt", FormatUtcTime(cart.created_ms)},
          {"updatedAt", FormatUtcTime(cart.updated_ms)},
          {"totalQuantity", quantity},
          {"note", cart.rest.value("note", nlohmann::json(nullptr))},
          {"buyerIdentity",
           {{"email", cart.email.empty() ? nlohmann::json(nullptr) : nlohmann::json(cart.email)},
            {"countryCode", nullptr}}},
          {"cost",
           {{"subtotalAmount", Money(total)},
            {"totalAmount", Money(total)},
            {"totalTaxAmount", nullptr}}},
          {"lines",
           {{"edges", std::move(edges)},
            {"pageInfo", {{"hasNextPage", false}, {"endCursor", nullptr}}}}}};
}

}  // namespace

SimReply HandleStorefrontGraphql(Simulator& /*sim*/, Shop& shop, const SimRequest& request,
                                 nlohmann::json& log_entry) {
  if (request.method != "POST") return SimReply::Json(405, {{"errors", "GraphQL takes POST"}});
  auto parsed = ParseGraphqlRequest(request.body);
  if (!parsed.ok()) {
    return SimReply::Json(400, {{"errors", {{"query", parsed.status().message()}}}});
  }
  log_entry["operationName"] = parsed->operation_name;
  if (parsed->operation_name != "Cart" && parsed->root_field != "cart") {
    return SimReply::Json(200, {{"errors",
                                 {GraphqlError("The simulator's Storefront API knows only the Cart "
                                               "query (cart(id:)); got '" +
                                                   parsed->operation_name + "'",
                                               "UNSUPPORTED_BY_SIMULATOR")}}});
  }
  log_entry["operationName"] = "Cart";
  const auto id = parsed->variables.find("id");
  if (id == parsed->variables.end() || !id->is_string()) {
    return SimReply::Json(200,
                          {{"errors",
                            {GraphqlError("Variable $id of type ID! was provided invalid value",
                                          "INVALID_VARIABLE")}}});
  }
  const std::string token = CartToken(id->get<std::string>());
  const auto& carts = shop.store.carts();
  const auto it = carts.find(token);
  if (it == carts.end() || it->second.converted) {
    return SimReply::Json(200, {{"data", {{"cart", nullptr}}}});
  }
  return SimReply::Json(200, {{"data", {{"cart", CartJson(shop, it->second)}}}});
}

}  // namespace storeflow::shopify_sim
