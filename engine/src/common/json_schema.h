#pragma once

// JSON Schema (draft-07) checking: workflow `input.schema`, plugin action inputs
// and plugin configs. Violations name the JSON path of the offending value.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow {

struct SchemaViolation {
  std::string path;     // "$", "$.line_items[0].price"
  std::string message;  // "Value type not permitted by 'type' constraint."
};

class JsonSchema {
 public:
  // Compiles a schema document. Remote `$ref`s are refused (no network access).
  static Result<std::shared_ptr<const JsonSchema>> Parse(const nlohmann::json& schema);
  // Reads and compiles a schema file; errors name the file (and the JSON position).
  static Result<std::shared_ptr<const JsonSchema>> Load(const std::filesystem::path& file);

  ~JsonSchema();
  JsonSchema(const JsonSchema&) = delete;
  JsonSchema& operator=(const JsonSchema&) = delete;

  // Every violation, deepest first as the checker reports them; empty when valid.
  std::vector<SchemaViolation> Validate(const nlohmann::json& document) const;

 private:
  struct Impl;
  explicit JsonSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "$.a[0].b: message; $.c: message" — at most `limit` violations, then "and N more".
std::string DescribeViolations(const std::vector<SchemaViolation>& violations, size_t limit = 5);

}  // namespace storeflow
