// shopify.product_upsert (GraphQL productSet by handle or by a metafield holding
// the source store's id) and shopify.product_delete (productDelete).
#include <algorithm>
#include <cctype>

#include "json_input.h"
#include "response_classifier.h"
#include "shopify_actions.h"
#include "shopify_ids.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Error;
using sdk::Json;

constexpr const char* kProductSet =
    "mutation ProductSet($identifier: ProductSetIdentifiers, $input: ProductSetInput!, "
    "$synchronous: Boolean!) { productSet(identifier: $identifier, input: $input, "
    "synchronous: $synchronous) { product { id legacyResourceId handle title updatedAt } "
    "userErrors { field message code } } }";

constexpr const char* kProductDelete =
    "mutation ProductDelete($id: ID!) { productDelete(input: {id: $id}) { deletedProductId "
    "userErrors { field message } } }";

constexpr const char* kProductBySourceId =
    "query ProductByIdentifier($identifier: ProductIdentifierInput!) { "
    "productByIdentifier(identifier: $identifier) { id legacyResourceId handle title } }";

constexpr double kMutationCost = 10;
constexpr double kLookupCost = 1;  // one object  // Shopify: every mutation costs 10 points

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A `product` of Shopify's answer in the plugin's output shape.
Json ProductOut(const Json& product) {
  Json out{{"id", product.value("id", "")},
           {"handle", product.value("handle", "")},
           {"title", product.value("title", "")}};
  std::string error;
  if (product.contains("legacyResourceId")) {
    if (auto id = ParseId(product["legacyResourceId"], "", &error)) out["legacy_resource_id"] = *id;
  }
  if (!out.contains("legacy_resource_id") && product.contains("id")) {
    if (auto id = ParseId(product["id"], "Product", &error)) out["legacy_resource_id"] = *id;
  }
  if (product.contains("updatedAt") && product["updatedAt"].is_string()) {
    out["updated_at"] = product["updatedAt"];
  }
  return out;
}

std::string SourceIdText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();  // exact: no double on the way
  throw Error::Permanent("invalid_input", "`source_id` must be a string or an integer");
}

}  // namespace

Json ShopifyActions::ProductUpsert(const Json& input, const ShopConfig& shop,
                                   const sdk::Call& call) {
  if (!input.contains("product") || !input["product"].is_object()) {
    throw Error::Permanent("invalid_input",
                           "`product` is required: Shopify's ProductSetInput (title, handle, "
                           "descriptionHtml, vendor, productType, tags, status, ...)");
  }
  Json product = input["product"];
  Json identifier;
  std::string match;
  const bool has_source = input.contains("source_id") && !input["source_id"].is_null();
  auto handle = storage::OptionalString(input, "handle");
  if (has_source && handle) {
    throw Error::Permanent("invalid_input",
                           "give either `source_id` (match by metafield) or `handle`, not both");
  }
  if (has_source) {
    const std::string value = SourceIdText(input["source_id"]);
    if (value.empty()) throw Error::Permanent("invalid_input", "`source_id` is empty");
    const std::string ns =
        storage::OptionalString(input, "source_namespace").value_or(config_.source_id_namespace);
    const std::string key =
        storage::OptionalString(input, "source_key").value_or(config_.source_id_key);
    identifier = Json{{"customId", {{"namespace", ns}, {"key", key}, {"value", value}}}};
    Json metafields = product.contains("metafields") && product["metafields"].is_array()
                          ? product["metafields"]
                          : Json::array();
    metafields.erase(std::remove_if(metafields.begin(), metafields.end(),
                                    [&](const Json& m) {
                                      return m.is_object() && m.value("namespace", "") == ns &&
                                             m.value("key", "") == key;
                                    }),
                     metafields.end());
    metafields.push_back(Json{
        {"namespace", ns}, {"key", key}, {"type", "single_line_text_field"}, {"value", value}});
    product["metafields"] = std::move(metafields);
    match = "source_id";
  } else {
    if (!handle && product.contains("handle") && product["handle"].is_string()) {
      handle = product["handle"].get<std::string>();
    }
    if (!handle || handle->empty()) {
      throw Error::Permanent("invalid_input",
                             "say which product to create or update: `handle`, `source_id`, or "
                             "`product.handle`");
    }
    identifier = Json{{"handle", *handle}};
    if (!product.contains("handle")) product["handle"] = *handle;
    match = "handle";
  }
  GraphQLRequest request;
  request.operation_name = "ProductSet";
  request.query = kProductSet;
  request.variables = Json{{"identifier", identifier}, {"input", product}, {"synchronous", true}};
  request.declared_cost = kMutationCost;
  request.cost_key = "ProductSet";
  Json body = client_.AdminGraphQL(shop, request, call);
  const Json& payload = body["data"]["productSet"];
  if (auto failure = ClassifyUserErrors(payload, "productSet")) throw failure->ToError();
  if (!payload.is_object() || !payload.contains("product") || !payload["product"].is_object()) {
    throw Error::Retryable("bad_response", "productSet answered without a product");
  }
  Json out = ProductOut(payload["product"]);
  out["matched_by"] = match;
  return out;
}

Json ShopifyActions::ProductDelete(const Json& input, const ShopConfig& shop,
                                   const sdk::Call& call) {
  const bool has_id = input.contains("id") && !input["id"].is_null();
  const bool has_source = input.contains("source_id") && !input["source_id"].is_null();
  if (has_id == has_source) {
    throw Error::Permanent("invalid_input",
                           "give either `id` (the product in this shop) or `source_id` (the "
                           "source store's id kept in the product's metafield)");
  }
  std::string gid;
  if (has_source) {
    const std::string value = SourceIdText(input["source_id"]);
    if (value.empty()) throw Error::Permanent("invalid_input", "`source_id` is empty");
    const std::string ns =
        storage::OptionalString(input, "source_namespace").value_or(config_.source_id_namespace);
    const std::string key =
        storage::OptionalString(input, "source_key").value_or(config_.source_id_key);
    GraphQLRequest lookup;
    lookup.operation_name = "ProductByIdentifier";
    lookup.query = kProductBySourceId;
    lookup.variables =
        Json{{"identifier", {{"customId", {{"namespace", ns}, {"key", key}, {"value", value}}}}}};
    lookup.declared_cost = kLookupCost;
    lookup.cost_key = "ProductByIdentifier";
    Json found = client_.AdminGraphQL(shop, lookup, call);
    const Json& product = found["data"]["productByIdentifier"];
    if (!product.is_object() || !product.contains("id") || !product["id"].is_string()) {
      return Json{{"id", nullptr}, {"deleted", false}};  // no copy of it here
    }
    gid = product["id"].get<std::string>();
  } else {
    gid = RequiredGid(input, "id", "Product");
  }
  GraphQLRequest request;
  request.operation_name = "ProductDelete";
  request.query = kProductDelete;
  request.variables = Json{{"id", gid}};
  request.declared_cost = kMutationCost;
  request.cost_key = "ProductDelete";
  Json body = client_.AdminGraphQL(shop, request, call);
  const Json& payload = body["data"]["productDelete"];
  if (payload.is_object() && payload.contains("userErrors") && payload["userErrors"].is_array()) {
    for (const Json& e : payload["userErrors"]) {
      // Already gone (e.g. a retry after a lost answer): the goal is reached.
      if (e.is_object() &&
          Lower(e.value("message", "")).find("does not exist") != std::string::npos) {
        return Json{{"id", gid}, {"deleted", false}};
      }
    }
  }
  if (auto failure = ClassifyUserErrors(payload, "productDelete")) throw failure->ToError();
  const bool deleted = payload.is_object() && payload.contains("deletedProductId") &&
                       payload["deletedProductId"].is_string();
  return Json{{"id", gid}, {"deleted", deleted}};
}

}  // namespace storeflow::plugins::shopify
