#pragma once

// The admin API's answers checked against docs/openapi.yaml: the JSON body of an
// answer must match the schema documented for its operation and status (an error
// status that the operation does not list, or on a path or method it does not
// document, must match components.schemas.Error).
// OpenAPI 3.0 schemas are turned into JSON Schema draft-07 for the engine's
// checker: `nullable: true` adds "null" to the type, refs point at `definitions`.

#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "common/json_schema.h"
#include "workflow/yaml_json.h"

namespace storeflow::http::testing {

class OpenApiContract {
 public:
  static OpenApiContract& Get() {
    static OpenApiContract contract(std::string(STOREFLOW_SOURCE_DIR) + "/docs/openapi.yaml");
    return contract;
  }

  // Empty when `body` is what the document promises for `method` on `path` (a
  // concrete path such as /api/v1/runs/7) answering `status`; else why not.
  std::string Check(const std::string& method, const std::string& path, int status,
                    const nlohmann::json& body) {
    std::lock_guard lock(mu_);
    const std::string where = method + " " + path + " -> " + std::to_string(status);
    const std::string pattern = MatchPath(path);
    std::string lower = method;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const nlohmann::json operation =
        pattern.empty() ? nlohmann::json() : doc_["paths"][pattern].value(lower, nlohmann::json());
    const std::string code = std::to_string(status);
    const nlohmann::json responses = operation.is_object()
                                         ? operation.value("responses", nlohmann::json::object())
                                         : nlohmann::json::object();
    nlohmann::json schema;
    if (responses.contains(code)) {
      nlohmann::json response = responses[code];
      if (response.contains("$ref")) response = Resolve(response["$ref"].get<std::string>());
      schema = response.value("content", nlohmann::json::object())
                   .value("application/json", nlohmann::json::object())
                   .value("schema", nlohmann::json());
      if (schema.is_null()) return where + ": the document gives no JSON schema for this answer";
    } else if (status >= 400) {
      // Unknown paths (404), other methods (405) and unlisted errors: the error shape
      // the document's description promises for every error.
      schema = {{"$ref", "#/components/schemas/Error"}};
    } else if (pattern.empty()) {
      return where + ": the path is not in docs/openapi.yaml";
    } else if (!operation.is_object()) {
      return where + ": " + pattern + " documents no " + method;
    } else {
      return where + ": status " + code + " is not documented for " + method + " " + pattern;
    }
    const std::string key = method + " " + pattern + " " + code;
    auto compiled = compiled_.find(key);
    if (compiled == compiled_.end()) {
      nlohmann::json full = Convert(schema);
      full["definitions"] = definitions_;
      auto parsed = JsonSchema::Parse(full);
      if (!parsed.ok())
        return where + ": the documented schema does not compile: " + parsed.status().message();
      compiled = compiled_.emplace(key, *parsed).first;
    }
    auto violations = compiled->second->Validate(body);
    if (violations.empty()) return "";
    return where + " (" + pattern +
           "): the answer does not match docs/openapi.yaml: " + DescribeViolations(violations) +
           "\n" + body.dump();
  }

 private:
  explicit OpenApiContract(const std::string& file)
      : doc_(workflow::YamlToJson(YAML::LoadFile(file))) {
    for (const auto& [name, schema] : doc_["components"]["schemas"].items()) {
      definitions_[name] = Convert(schema);
    }
  }

  // The documented pattern (/api/v1/runs/{id}) a concrete path matches; "" when none.
  std::string MatchPath(const std::string& path) const {
    const std::vector<std::string> parts = Split(path);
    for (const auto& [pattern, item] : doc_["paths"].items()) {
      const std::vector<std::string> want = Split(pattern);
      if (want.size() != parts.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < want.size() && same; ++i) {
        same =
            (!want[i].empty() && want[i].front() == '{') ? !parts[i].empty() : want[i] == parts[i];
      }
      if (same) return pattern;
    }
    return "";
  }

  static std::vector<std::string> Split(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
      const std::size_t slash = path.find('/', start);
      parts.push_back(path.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return parts;
  }

  nlohmann::json Resolve(const std::string& ref) const {
    nlohmann::json node = doc_;
    std::size_t start = 2;  // after "#/"
    while (start < ref.size() + 1) {
      const std::size_t slash = ref.find('/', start);
      const std::string part = ref.substr(start, slash - start);
      if (!node.is_object() || !node.contains(part)) return nlohmann::json();
      node = node[part];
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return node;
  }

  // OpenAPI 3.0 schema -> JSON Schema draft-07.
  static nlohmann::json Convert(const nlohmann::json& schema) {
    if (schema.is_array()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : schema) out.push_back(Convert(item));
      return out;
    }
    if (!schema.is_object()) return schema;
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : schema.items()) {
      if (key == "nullable" || key == "example" || key == "examples") continue;
      if (key == "$ref" && value.is_string()) {
        std::string ref = value.get<std::string>();
        const std::string prefix = "#/components/schemas/";
        if (ref.rfind(prefix, 0) == 0) ref = "#/definitions/" + ref.substr(prefix.size());
        out[key] = ref;
      } else if (key == "properties" && value.is_object()) {
        nlohmann::json properties = nlohmann::json::object();
        for (const auto& [name, property] : value.items()) properties[name] = Convert(property);
        out[key] = properties;
      } else {
        out[key] = Convert(value);
      }
    }
    if (schema.value("nullable", false)) {
      if (out.contains("type") && out["type"].is_string()) {
        out["type"] = nlohmann::json::array({out["type"], "null"});
      }
      if (out.contains("enum") && out["enum"].is_array()) out["enum"].push_back(nullptr);
    }
    return out;
  }

  std::mutex mu_;
  nlohmann::json doc_;
  nlohmann::json definitions_ = nlohmann::json::object();
  std::map<std::string, std::shared_ptr<const JsonSchema>> compiled_;
};

}  // namespace storeflow::http::testing
