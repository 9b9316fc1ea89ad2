#include "common/json_schema.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace storeflow {
namespace {

using nlohmann::json;

TEST(JsonSchemaTest, ValidDocumentHasNoViolations) {
  auto schema = JsonSchema::Parse(json::parse(R"({
    "type": "object", "required": ["token"],
    "properties": {"token": {"type": "string"}, "line_items": {"type": "array",
      "items": {"type": "object", "properties": {"price": {"type": "string"}}}}}})"));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_TRUE((*schema)->Validate(json{{"token", "abc"}}).empty());
}

TEST(JsonSchemaTest, ViolationsNameTheJsonPath) {
  auto schema = JsonSchema::Parse(json::parse(R"({
    "type": "object", "required": ["token"],
    "properties": {"line_items": {"type": "array",
      "items": {"type": "object", "properties": {"price": {"type": "string"}}}}}})"));
  ASSERT_TRUE(schema.ok());
  auto violations =
      (*schema)->Validate(json::parse(R"({"line_items": [{"price": "1"}, {"price": 2}]})"));
  ASSERT_FALSE(violations.empty());
  std::string all = DescribeViolations(violations, 10);
  EXPECT_NE(all.find("$.line_items[1].price"), std::string::npos) << all;
  EXPECT_NE(all.find("token"), std::string::npos) << all;  // the missing required property
}

TEST(JsonSchemaTest, BadSchemaIsAnErrorNotACrash) {
  auto schema =
      JsonSchema::Parse(json::parse(R"({"type": "object", "properties": {"a": {"$ref": 5}}})"));
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(JsonSchema::Parse(json::array()).ok());
}

TEST(JsonSchemaTest, LoadNamesTheFileOnBadJson) {
  auto dir = std::filesystem::temp_directory_path() / "storeflow-json-schema-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << "{\"type\": ";
  auto schema = JsonSchema::Load(dir / "bad.json");
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(schema.status().message().find("bad.json"), std::string::npos);
  EXPECT_EQ(JsonSchema::Load(dir / "missing.json").status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(JsonSchemaTest, DescribeLimitsTheList) {
  std::vector<SchemaViolation> v = {{"$.a", "x"}, {"$.b", "y"}, {"$.c", "z"}};
  EXPECT_EQ(DescribeViolations(v, 2), "$.a: x; $.b: y; and 1 more");
}

}  // namespace
}  // namespace storeflow

namespace storeflow {
namespace {

TEST(JsonSchemaWrapperTest, ParentWrappersGiveWayToTheViolationThatExplainsThem) {
  auto schema = JsonSchema::Parse(nlohmann::json::parse(R"({
    "type": "object",
    "properties": {"body": {"type": "object",
                            "properties": {"quantity": {"type": "integer", "minimum": 1}}}}})"));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  auto violations = (*schema)->Validate(nlohmann::json::parse(R"({"body": {"quantity": 0}})"));
  ASSERT_EQ(violations.size(), 1u) << DescribeViolations(violations, 10);
  EXPECT_EQ(violations[0].path, "$.body.quantity");
  EXPECT_NE(violations[0].message.find("greater than or equal to 1"), std::string::npos);
}

}  // namespace
}  // namespace storeflow
