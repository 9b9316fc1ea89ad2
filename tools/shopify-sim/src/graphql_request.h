#pragma once

// What the simulator reads from a GraphQL POST: the query text, the variables and the
// operation. There is no GraphQL engine: an operation is recognised by its
// operationName, else by the name in the query text, else by its first root field.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow::shopify_sim {

struct GraphqlRequest {
  std::string query;
  nlohmann::json variables = nlohmann::json::object();
  std::string operation_name;  // from the body, else from the query text
  std::string root_field;      // the first field of the selection set
  bool is_mutation = false;
};

// Parses `{"query": "...", "variables": {...}, "operationName": "..."}`.
Result<GraphqlRequest> ParseGraphqlRequest(const std::string& body);

// A GraphQL error list entry: {"message": m, "extensions": {"code": c, ...}}.
nlohmann::json GraphqlError(const std::string& message, const std::string& code);

}  // namespace storeflow::shopify_sim
