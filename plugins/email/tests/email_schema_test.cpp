// The manifest's schemas, compiled and checked with the engine's own JSON Schema
// validator (common/json_schema), the one the host runs before invoking the plugin.
#include <gtest/gtest.h>

#include "common/json_schema.h"
#include "email_host.h"

namespace storeflow::plugins::email {
namespace {

using testing::EmailManifest;
using testing::Json;

std::shared_ptr<const JsonSchema> Compile(const Json& schema) {
  auto compiled = JsonSchema::Parse(schema);
  EXPECT_TRUE(compiled.ok()) << compiled.status().message();
  return compiled.ok() ? compiled.value() : nullptr;
}

std::string Violations(const JsonSchema& schema, const Json& document) {
  std::string out;
  for (const auto& v : schema.Validate(document)) out += v.path + ": " + v.message + "\n";
  return out;
}

TEST(EmailSchema, InputSchemaAcceptsTheDocumentedShapes) {
  Json action = EmailManifest()["actions"][0];
  auto schema = Compile(action["input_schema"]);
  ASSERT_TRUE(schema);
  for (const Json& example : action["examples"]) {
    EXPECT_EQ(Violations(*schema, example), "") << example;
  }
  Json full = {
      {"to", {"Ada <ada@example.com>", "bob@example.com"}},
      {"cc", "c@example.com"},
      {"bcc", {"d@example.com"}},
      {"reply_to", "r@example.com"},
      {"from", "Shop <shop@example.com>"},
      {"subject", "s"},
      {"text", "t"},
      {"html", "<p>t</p>"},
      {"headers", {{"X-Campaign", "spring"}}},
      {"attachments",
       {{{"storage_key", "invoices/1.pdf"}},
        {{"content_base64", "YQ=="}, {"filename", "a.txt"}, {"content_type", "text/plain"}}}}};
  EXPECT_EQ(Violations(*schema, full), "");
  EXPECT_EQ(Violations(*schema, {{"to", "a@example.com"},
                                 {"template", "order-confirmation"},
                                 {"data", {{"order", {{"id", 1}}}}}}),
            "");
}

TEST(EmailSchema, InputSchemaRefusesWhatThePluginWouldNotUnderstand) {
  auto schema = Compile(EmailManifest()["actions"][0]["input_schema"]);
  ASSERT_TRUE(schema);
  auto refused = [&](const Json& input) { return !Violations(*schema, input).empty(); };
  EXPECT_TRUE(refused(Json::object()));                                // no `to`
  EXPECT_TRUE(refused({{"to", "a@example.com"}, {"bodyy", "typo"}}));  // unknown key
  EXPECT_TRUE(refused({{"to", Json::array()}}));                       // empty list
  EXPECT_TRUE(refused({{"to", 42}}));
  EXPECT_TRUE(refused({{"to", "a@example.com"}, {"headers", {{"X-N", 1}}}}));
  EXPECT_TRUE(refused({{"to", "a@example.com"}, {"template", "../x"}}));
  EXPECT_TRUE(refused({{"to", "a@example.com"},
                       {"attachments", {{{"storage_key", "k"}, {"content_base64", "YQ=="}}}}}));
  EXPECT_TRUE(refused({{"to", "a@example.com"}, {"attachments", {{{"content_base64", "YQ=="}}}}}));
  EXPECT_TRUE(
      refused({{"to", "a@example.com"}, {"attachments", {{{"storage_key", "k"}, {"x", 1}}}}}));
}

TEST(EmailSchema, ConfigSchemaAcceptsTheReadmeExampleAndRefusesUnknownKeys) {
  auto schema = Compile(EmailManifest()["config_schema"]);
  ASSERT_TRUE(schema);
  Json config = {{"transport", "smtp"},
                 {"from", "Demo Shop <shop@example.com>"},
                 {"templates_dir", "config/email-templates"},
                 {"outbox", {{"folder", "var/outbox"}}},
                 {"smtp",
                  {{"host", "smtp.example.com"},
                   {"port", 587},
                   {"starttls", "required"},
                   {"username", "shop@example.com"},
                   {"password_secret", "SMTP_PASSWORD"}}}};
  EXPECT_EQ(Violations(*schema, config), "");
  EXPECT_EQ(Violations(*schema, Json::object()), "");
  EXPECT_NE(Violations(*schema, {{"transprt", "smtp"}}), "");
  EXPECT_NE(Violations(*schema, {{"smtp", {{"hots", "x"}}}}), "");
  EXPECT_NE(Violations(*schema, {{"smtp", {{"starttls", "maybe"}}}}), "");
  Json ses = {{"transport", "ses"},
              {"from", "shop@example.com"},
              {"ses",
               {{"region", "eu-west-1"},
                {"endpoint", "http://127.0.0.1:4566"},
                {"credentials",
                 {{"access_key_id_secret", "AWS_KEY_ID"},
                  {"secret_access_key_secret", "AWS_SECRET_KEY"},
                  {"session_token_secret", "AWS_SESSION"}}},
                {"configuration_set", "transactional"},
                {"tags", {{"app", "storeflow"}}},
                {"timeout_ms", 5000}}}};
  EXPECT_EQ(Violations(*schema, ses), "");
  EXPECT_NE(Violations(*schema, {{"ses", {{"regoin", "eu-west-1"}}}}), "");
  EXPECT_NE(Violations(*schema, {{"ses", {{"credentials", {{"access_key", "x"}}}}}}), "");
  EXPECT_NE(Violations(*schema, {{"transport", "sns"}}), "");
}

TEST(EmailSchema, InputSchemaTakesTheSesFields) {
  auto schema = Compile(EmailManifest()["actions"][0]["input_schema"]);
  ASSERT_TRUE(schema);
  EXPECT_EQ(
      Violations(*schema, {{"to", "a@example.com"},
                           {"ses_template", {{"name", "OrderShipped"}, {"data", {{"id", 1}}}}},
                           {"tags", {{"kind", "shipping"}}},
                           {"configuration_set", "transactional"}}),
      "");
  EXPECT_NE(Violations(*schema, {{"to", "a@example.com"}, {"ses_template", {{"data", {}}}}}), "");
  EXPECT_NE(Violations(*schema, {{"to", "a@example.com"}, {"ses_template", {{"name", "a/b"}}}}),
            "");
  EXPECT_NE(Violations(*schema, {{"to", "a@example.com"}, {"tags", {{"kind", 1}}}}), "");
  Json output = EmailManifest()["actions"][0]["output_schema"];
  EXPECT_TRUE(output["properties"].contains("content"));
}

}  // namespace
}  // namespace storeflow::plugins::email
