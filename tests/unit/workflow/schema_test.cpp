// The JSON Schema of the DSL (workflows/schemas/storeflow-workflow.schema.json, for
// editors) accepts every shipped workflow and rejects what the loader rejects. It
// also compiles under `ajv --strict=true` (tools/lint.sh): no union `type` arrays.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "workflow/yaml_json.h"

namespace storeflow::workflow {
namespace {

namespace fs = std::filesystem;

const fs::path kRepo = STOREFLOW_SOURCE_DIR;

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(kRepo / "workflows/schemas/storeflow-workflow.schema.json");
    ASSERT_TRUE(in) << "schema file missing";
    schema_json_ = nlohmann::json::parse(in);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema_json_);
    parser.populateSchema(adapter, schema_);
  }

  // "" when valid, else the validator's reasons.
  std::string Check(const nlohmann::json& doc) {
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(doc);
    if (validator.validate(schema_, target, &results)) return "";
    std::string out;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
      std::string path;
      for (const std::string& p : error.context) path += p;
      out += path + ": " + error.description + "\n";
    }
    return out.empty() ? "invalid" : out;
  }

  static nlohmann::json FromYaml(const std::string& text) { return YamlToJson(YAML::Load(text)); }

  nlohmann::json schema_json_;
  valijson::Schema schema_;
};

// The JSON pointers of every `type` that is a list (strict ajv refuses them).
void CollectUnionTypes(const nlohmann::json& node, const std::string& at,
                       std::vector<std::string>& found) {
  if (node.is_object()) {
    if (node.contains("type") && node["type"].is_array()) found.push_back(at + "/type");
    for (const auto& [key, value] : node.items()) CollectUnionTypes(value, at + "/" + key, found);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      CollectUnionTypes(node[i], at + "/" + std::to_string(i), found);
    }
  }
}

TEST_F(SchemaTest, HasNoUnionTypesForStrictValidators) {
  std::vector<std::string> found;
  CollectUnionTypes(schema_json_, "#", found);
  EXPECT_TRUE(found.empty()) << "use anyOf instead of a type list at: "
                             << ::testing::PrintToString(found);
  // What the union types allowed still passes: a null `with:` and a boolean `if:`.
  EXPECT_EQ(Check(FromYaml("workflow: w\non: [{event: a.b}]\nsteps:\n"
                           "  - {id: s, uses: x.y, with: null, if: true}\n")),
            "");
}

TEST_F(SchemaTest, AcceptsEveryShippedWorkflow) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(kRepo / "workflows")) {
    if (entry.path().extension() != ".yaml" && entry.path().extension() != ".yml") continue;
    nlohmann::json doc = YamlToJson(YAML::LoadFile(entry.path().string()));
    EXPECT_EQ(Check(doc), "") << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST_F(SchemaTest, AcceptsTheOtherTriggerShapes) {
  EXPECT_EQ(Check(FromYaml(R"yaml(
workflow: t
on:
  webhook: [shopify/carts/create, shopify/carts/update]
  schedule: { cron: "0 3 * * *", timezone: Europe/Berlin }
  queue: sqs/orders.fifo
steps:
  - id: a
    sleep: { until: "${{ event.at }}" }
  - id: b
    emit: cart/abandoned
  - id: c
    fail: { message: "no ${{ event.x }}" }
)yaml")),
            "");
}

TEST_F(SchemaTest, RejectsAnUnknownTopLevelKey) {
  EXPECT_NE(
      Check(FromYaml("workflow: t\non: [{event: go}]\nstpes: []\nsteps: [{id: a, uses: x.y}]\n")),
      "");
}

TEST_F(SchemaTest, RejectsAnUnknownStepKey) {
  EXPECT_NE(
      Check(FromYaml("workflow: t\non: [{event: go}]\nsteps: [{id: a, uses: x.y, iff: true}]\n")),
      "");
}

TEST_F(SchemaTest, RejectsTwoKindsOrNone) {
  EXPECT_NE(
      Check(FromYaml("workflow: t\non: [{event: go}]\nsteps: [{id: a, uses: x.y, sleep: 1s}]\n")),
      "");
  EXPECT_NE(Check(FromYaml("workflow: t\non: [{event: go}]\nsteps: [{id: a}]\n")), "");
}

TEST_F(SchemaTest, RejectsBadValues) {
  EXPECT_NE(Check(FromYaml("workflow: t\non: [{event: go}]\nsteps: [{id: a, sleep: 5 minutes}]\n")),
            "");
  EXPECT_NE(Check(FromYaml("workflow: t\non: [{http: FETCH /x}]\nsteps: [{id: a, uses: x.y}]\n")),
            "");
  EXPECT_NE(Check(FromYaml("workflow: t\non: [{webhook: shopify}]\nsteps: [{id: a, uses: x.y}]\n")),
            "");
  EXPECT_NE(
      Check(FromYaml("workflow: t\nversion: 0\non: [{event: go}]\nsteps: [{id: a, uses: x.y}]\n")),
      "");
  EXPECT_NE(Check(FromYaml("workflow: t\non: [{event: go}]\nsteps: [{id: a, uses: x.y, retry: "
                           "{backoff: linear}}]\n")),
            "");
  EXPECT_NE(Check(FromYaml("workflow: t\non: [{event: go}]\nsteps: [{id: a, foreach: [1]}]\n")),
            "");
}

}  // namespace
}  // namespace storeflow::workflow
