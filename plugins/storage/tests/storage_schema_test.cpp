// The manifest's schemas, compiled and checked with the engine's own JSON Schema
// validator (common/json_schema), the one the host runs before invoking the plugin.
#include <gtest/gtest.h>

#include "common/json_schema.h"
#include "storage_host.h"

namespace storeflow::plugins::storage {
namespace {

using testing::Json;

const Json& Manifest() {
  return testing::StorageManifest();
}

std::shared_ptr<const JsonSchema> InputSchema(const std::string& action) {
  for (const Json& a : Manifest()["actions"]) {
    if (a["name"] == action) {
      auto compiled = JsonSchema::Parse(a["input_schema"]);
      EXPECT_TRUE(compiled.ok()) << compiled.status().message();
      if (compiled.ok()) return compiled.value();
    }
  }
  ADD_FAILURE() << "no action " << action;
  return nullptr;
}

bool Valid(const std::shared_ptr<const JsonSchema>& schema, const Json& input) {
  return schema && schema->Validate(input).empty();
}

TEST(StorageSchema, ExamplesAreValid) {
  for (const Json& action : Manifest()["actions"]) {
    auto schema = InputSchema(action["name"]);
    for (const Json& example : action["examples"]) {
      EXPECT_TRUE(Valid(schema, example)) << action["name"] << " " << example;
    }
  }
}

TEST(StorageSchema, PutNeedsExactlyOneContentAndNoUnknownKeys) {
  auto put = InputSchema("storage.put");
  EXPECT_TRUE(Valid(put, {{"key", "a"}, {"text", "x"}}));
  EXPECT_TRUE(Valid(put, {{"key", "a"}, {"content_base64", "YQ=="}, {"content_type", "a/b"}}));
  EXPECT_FALSE(Valid(put, {{"key", "a"}}));
  EXPECT_FALSE(Valid(put, {{"key", "a"}, {"text", "x"}, {"content_base64", "YQ=="}}));
  EXPECT_FALSE(Valid(put, {{"key", "a"}, {"text", "x"}, {"overwrite", true}}));
  EXPECT_FALSE(Valid(InputSchema("storage.get"), {{"key", "a"}, {"encoding", "hex"}}));
  EXPECT_FALSE(Valid(InputSchema("storage.list"), {{"limit", 0}}));
  EXPECT_TRUE(Valid(InputSchema("storage.list"), Json::object()));
}

TEST(StorageSchema, ConfigSchemaRefusesUnknownKeys) {
  auto compiled = JsonSchema::Parse(Manifest()["config_schema"]);
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  EXPECT_TRUE(compiled.value()->Validate({{"root", "var/storage"}, {"fsync", false}}).empty());
  EXPECT_FALSE(compiled.value()->Validate({{"rot", "x"}}).empty());
  EXPECT_FALSE(compiled.value()->Validate({{"backend", "ftp"}}).empty());
  EXPECT_TRUE(compiled.value()
                  ->Validate({{"backend", "s3"},
                              {"bucket", "invoices"},
                              {"region", "eu-west-1"},
                              {"endpoint", "http://127.0.0.1:9000"},
                              {"addressing", "path"},
                              {"server_side_encryption", "aws:kms"},
                              {"sse_kms_key_id", "alias/storeflow"},
                              {"timeout_ms", 5000},
                              {"credentials",
                               {{"access_key_id_secret", "K"}, {"secret_access_key_secret", "S"}}}})
                  .empty());
  EXPECT_FALSE(compiled.value()->Validate({{"backend", "s3"}, {"addressing", "host"}}).empty());
  EXPECT_FALSE(
      compiled.value()->Validate({{"backend", "s3"}, {"credentials", {{"key", "K"}}}}).empty());
}

}  // namespace
}  // namespace storeflow::plugins::storage
