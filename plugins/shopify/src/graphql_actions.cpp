// shopify.graphql (any Admin query, cost-governed) and shopify.storefront_cart.
#include <functional>

#include "cost_accounting.h"
#include "json_input.h"
#include "shopify_actions.h"
#include "shopify_ids.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Error;
using sdk::Json;

constexpr const char* kCartQuery =
    "query Cart($id: ID!){ cart(id:$id){ id checkoutUrl createdAt updatedAt totalQuantity "
    "buyerIdentity{ email } cost{ subtotalAmount{ amount currencyCode } totalAmount{ amount "
    "currencyCode } } lines(first:100){ edges{ node{ id quantity merchandise{ ... on "
    "ProductVariant{ id title product{ id title handle } price{ amount currencyCode } } } } } } "
    "} }";

// The cache key of an ad-hoc query: its operation name plus a hash of its text
// (two queries sharing a name do not share a cost).
std::string CostKey(const std::string& operation, const std::string& query) {
  return "graphql:" + operation + ":" + std::to_string(std::hash<std::string>{}(query));
}

}  // namespace

Json ShopifyActions::GraphQL(const Json& input, const ShopConfig& shop, const sdk::Call& call) {
  GraphQLRequest request;
  request.query = storage::RequiredString(input, "query");
  if (request.query.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Error::Permanent("invalid_input", "`query` is empty");
  }
  request.operation_name = storage::OptionalString(input, "operation_name").value_or("");
  if (input.contains("variables") && !input["variables"].is_null()) {
    if (!input["variables"].is_object()) {
      throw Error::Permanent("invalid_input", "`variables` must be an object");
    }
    request.variables = input["variables"];
  }
  if (input.contains("cost_estimate") && input["cost_estimate"].is_number()) {
    request.declared_cost = input["cost_estimate"].get<double>();
  }
  request.cost_key = CostKey(request.operation_name, request.query);
  Json body = client_.AdminGraphQL(shop, request, call);
  QueryCost cost = ParseQueryCost(body);
  Json out{{"data", body["data"]}};
  Json cost_out = Json::object();
  if (cost.requested) cost_out["requested"] = *cost.requested;
  if (cost.actual) cost_out["actual"] = *cost.actual;
  if (cost.currently_available) cost_out["available"] = *cost.currently_available;
  out["cost"] = cost_out;
  return out;
}

Json ShopifyActions::StorefrontCart(const Json& input, const ShopConfig& shop,
                                    const sdk::Call& call) {
  std::string id = storage::RequiredString(input, "id");
  if (id.empty()) throw Error::Permanent("invalid_input", "`id` is empty");
  if (!id.starts_with("gid://")) {
    id = "gid://shopify/Cart/" + id;  // a cart token, as in carts/create webhooks
  } else if (!id.starts_with("gid://shopify/Cart/")) {
    throw Error::Permanent("invalid_input",
                           "`id` must be a cart token or gid://shopify/Cart/<token>");
  }
  GraphQLRequest request;
  request.operation_name = "Cart";
  request.query = kCartQuery;
  request.variables = Json{{"id", id}};
  Json body = client_.StorefrontGraphQL(shop, request, call);
  const Json& data = body["data"];
  if (!data.is_object() || !data.contains("cart")) return Json(nullptr);
  return data["cart"];  // null: converted into an order, expired or unknown
}

}  // namespace storeflow::plugins::shopify
