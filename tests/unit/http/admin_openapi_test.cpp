// docs/openapi.yaml describes exactly the routes AdminApi serves: every route is
// documented, every documented operation is served, and every path parameter
// and the bearer security scheme are declared. The contract checker the admin
// tests run every answer through (openapi_contract.h) refuses what the document
// does not promise.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <string>

#include "http/admin_api.h"
#include "openapi_contract.h"

namespace storeflow::http {
namespace {

YAML::Node LoadOpenApi() {
  return YAML::LoadFile(std::string(STOREFLOW_SOURCE_DIR) + "/docs/openapi.yaml");
}

std::set<std::string> ParamsInPath(const std::string& path) {
  std::set<std::string> names;
  for (auto open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    names.insert(path.substr(open + 1, path.find('}', open) - open - 1));
  }
  return names;
}

TEST(AdminOpenApiTest, EveryRouteIsDocumentedAndViceVersa) {
  YAML::Node doc;
  ASSERT_NO_THROW(doc = LoadOpenApi());
  ASSERT_TRUE(doc["openapi"]) << "not an OpenAPI document";
  EXPECT_EQ(doc["openapi"].as<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    const std::string name = path.first.as<std::string>();
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      documented.insert(upper + " " + name);
    }
  }
  std::set<std::string> served;
  for (const auto& [method, pattern] : AdminApi::Routes()) served.insert(method + " " + pattern);
  for (const auto& route : served) {
    EXPECT_TRUE(documented.count(route)) << "docs/openapi.yaml does not document " << route;
  }
  for (const auto& route : documented) {
    EXPECT_TRUE(served.count(route))
        << "docs/openapi.yaml documents " << route << ", which AdminApi does not serve";
  }
}

TEST(AdminOpenApiTest, PathParametersResponsesAndSecurityAreDeclared) {
  YAML::Node doc = LoadOpenApi();
  const YAML::Node scheme = doc["components"]["securitySchemes"]["bearerAuth"];
  ASSERT_TRUE(scheme) << "components.securitySchemes.bearerAuth is missing";
  EXPECT_EQ(scheme["type"].as<std::string>(), "http");
  EXPECT_EQ(scheme["scheme"].as<std::string>(), "bearer");
  ASSERT_TRUE(doc["security"] && doc["security"].IsSequence());
  EXPECT_TRUE(doc["security"][0]["bearerAuth"]);
  ASSERT_TRUE(doc["components"]["schemas"]["Error"]) << "the error shape is not documented";

  for (const auto& path : doc["paths"]) {
    const std::string name = path.first.as<std::string>();
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (method == "parameters") continue;
      const YAML::Node operation = op.second;
      std::set<std::string> declared;
      for (const YAML::Node& list : {path.second["parameters"], operation["parameters"]}) {
        if (!list) continue;
        for (const auto& p : list) {
          YAML::Node param = p;
          if (p["$ref"]) {
            std::string ref = p["$ref"].as<std::string>();
            param = doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
            ASSERT_TRUE(param) << name << ": unresolved " << ref;
          }
          if (param["in"].as<std::string>() == "path") {
            declared.insert(param["name"].as<std::string>());
          }
        }
      }
      EXPECT_EQ(declared, ParamsInPath(name)) << method << " " << name;
      EXPECT_TRUE(operation["operationId"]) << method << " " << name;
      ASSERT_TRUE(operation["responses"]) << method << " " << name;
      // 200, or 202 for an operation that only starts something (a reconciliation).
      EXPECT_TRUE(operation["responses"]["200"] || operation["responses"]["202"])
          << method << " " << name;
      EXPECT_TRUE(operation["responses"]["401"]) << method << " " << name << " lacks 401";
    }
  }
}

using testing::OpenApiContract;

nlohmann::json ARun() {
  return {{"id", 7},           {"workflow", "orders"},     {"version", "abc"},
          {"key", nullptr},    {"status", "completed"},    {"attempt", 1},
          {"error", nullptr},  {"output", {1, 2}},         {"event_id", nullptr},
          {"due_at", nullptr}, {"created_at", 1},          {"updated_at", 2},
          {"finished_at", 2},  {"input", {{"id", "o-1"}}}, {"steps", nlohmann::json::array()}};
}

TEST(AdminOpenApiTest, TheContractAcceptsWhatTheDocumentPromises) {
  auto& contract = OpenApiContract::Get();
  EXPECT_EQ(contract.Check("GET", "/api/v1/runs/7", 200, ARun()), "");
  // Undocumented error statuses still have the error shape.
  EXPECT_EQ(contract.Check("GET", "/api/v1/runs/7", 503,
                           {{"error", {{"code", "unavailable"}, {"message", "busy"}}}}),
            "");
}

TEST(AdminOpenApiTest, TheContractRefusesWhatTheDocumentDoesNotPromise) {
  auto& contract = OpenApiContract::Get();
  nlohmann::json wrong_type = ARun();
  wrong_type["id"] = "7";
  EXPECT_NE(contract.Check("GET", "/api/v1/runs/7", 200, wrong_type).find("$.id"),
            std::string::npos);
  nlohmann::json missing = ARun();
  missing.erase("status");
  EXPECT_NE(contract.Check("GET", "/api/v1/runs/7", 200, missing), "");
  nlohmann::json bad_enum = ARun();
  bad_enum["status"] = "asleep";
  EXPECT_NE(contract.Check("GET", "/api/v1/runs/7", 200, bad_enum), "");
  // `nullable` without it: null is refused.
  nlohmann::json null_workflow = ARun();
  null_workflow["workflow"] = nullptr;
  EXPECT_NE(contract.Check("GET", "/api/v1/runs/7", 200, null_workflow), "");
  EXPECT_NE(contract.Check("GET", "/api/v1/runs/7", 404, {{"message", "gone"}}), "");
  EXPECT_NE(contract.Check("GET", "/api/v1/nowhere", 200, nlohmann::json::object())
                .find("not in docs/openapi.yaml"),
            std::string::npos);
  EXPECT_NE(contract.Check("DELETE", "/api/v1/runs/7", 200, ARun()), "");
}

}  // namespace
}  // namespace storeflow::http
