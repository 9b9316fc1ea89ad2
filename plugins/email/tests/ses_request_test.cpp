// The SES v2 SendEmail request the ses transport builds (content form, addresses,
// headers, configuration set, tags) and how SES's errors become step errors.
// No peer: the request is checked as JSON, the errors from AWS's shapes.
#include <gtest/gtest.h>

#include "base64.h"
#include "email_config.h"
#include "mime_reader.h"
#include "ses_error.h"
#include "ses_request.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Json;

PreparedEmail Message() {
  PreparedEmail prepared;
  MimeMessage& m = prepared.message;
  m.from = {"Shop", "shop@example.com"};
  m.to = {{"Zoë", "zoe@example.com"}, {"", "bob@example.com"}};
  m.cc = {{"", "cc@example.com"}};
  m.bcc = {{"", "audit@example.com"}};
  m.reply_to = {{"Help Desk", "help@example.com"}};
  m.subject = "Your order ✓";
  m.text = "Thanks.";
  m.html = "<p>Thanks.</p>";
  m.idempotency_key = "inst/1/send";
  m.message_id = "<sf.1@shop.example>";
  m.date_ms = 1767225600000;
  return prepared;
}

// Boundaries that differ per part, predictable for the test.
std::string CountingBoundary() {
  static int n = 0;
  return "=_sf_test_" + std::to_string(++n);
}

TEST(SesRequest, SimpleContentCarriesAddressesBodiesAndHeaders) {
  PreparedEmail prepared = Message();
  prepared.message.headers = {{"X-Campaign", "spring"}};
  SesSendEmail request = BuildSesSendEmail(prepared, SesConfig());
  EXPECT_EQ(request.content, SesContent::kSimple);
  const Json& body = request.body;
  EXPECT_EQ(body["FromEmailAddress"], "Shop <shop@example.com>");
  ASSERT_EQ(body["Destination"]["ToAddresses"].size(), 2u);
  EXPECT_EQ(testing::DecodeHeader(body["Destination"]["ToAddresses"][0].get<std::string>()),
            "Zoë <zoe@example.com>");
  EXPECT_EQ(body["Destination"]["ToAddresses"][1], "bob@example.com");
  EXPECT_EQ(body["Destination"]["CcAddresses"], Json::array({"cc@example.com"}));
  EXPECT_EQ(body["Destination"]["BccAddresses"], Json::array({"audit@example.com"}));
  EXPECT_EQ(body["ReplyToAddresses"], Json::array({"Help Desk <help@example.com>"}));
  const Json& simple = body["Content"]["Simple"];
  EXPECT_EQ(simple["Subject"], (Json{{"Data", "Your order ✓"}, {"Charset", "UTF-8"}}));
  EXPECT_EQ(simple["Body"]["Text"]["Data"], "Thanks.");
  EXPECT_EQ(simple["Body"]["Html"]["Data"], "<p>Thanks.</p>");
  EXPECT_EQ(simple["Body"]["Html"]["Charset"], "UTF-8");
  EXPECT_EQ(simple["Headers"], Json::parse(R"([{"Name":"X-Campaign","Value":"spring"},
                            {"Name":"X-Storeflow-Idempotency-Key","Value":"inst/1/send"}])"));
  EXPECT_FALSE(body.contains("ConfigurationSetName"));
  EXPECT_FALSE(body.contains("EmailTags"));
}

TEST(SesRequest, AttachmentsGoAsRawMimeWithTheEnvelopeInDestination) {
  PreparedEmail prepared = Message();
  prepared.message.attachments = {{"invoice.pdf", "application/pdf", std::string("%PDF\0\1", 6)}};
  SesSendEmail request = BuildSesSendEmail(prepared, SesConfig(), CountingBoundary);
  EXPECT_EQ(request.content, SesContent::kRaw);
  EXPECT_FALSE(request.body["Content"].contains("Simple"));
  auto raw = storage::Base64Decode(request.body["Content"]["Raw"]["Data"].get<std::string>());
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(request.message_bytes, raw->size());
  auto mime = testing::ParseMime(*raw);
  EXPECT_EQ(mime.MediaType(), "multipart/mixed");
  EXPECT_EQ(mime.HeaderCount("Bcc"), 0) << "Bcc travels in Destination only";
  EXPECT_EQ(mime.Header("X-Storeflow-Idempotency-Key"), "inst/1/send");
  ASSERT_EQ(mime.children.size(), 2u);
  EXPECT_EQ(mime.children[1].Decoded(), std::string("%PDF\0\1", 6));
  EXPECT_EQ(request.body["Destination"]["BccAddresses"], Json::array({"audit@example.com"}));
}

TEST(SesRequest, HeadersSimpleContentCannotCarryMakeItRaw) {
  PreparedEmail non_ascii = Message();
  non_ascii.message.headers = {{"X-Note", "für Sie"}};
  EXPECT_EQ(BuildSesSendEmail(non_ascii, SesConfig()).content, SesContent::kRaw);
  PreparedEmail many = Message();
  for (int i = 0; i < 15; ++i) many.message.headers.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_EQ(BuildSesSendEmail(many, SesConfig()).content, SesContent::kRaw)
      << "15 custom headers plus the idempotency key are more than SES's 15";
  many.message.headers.pop_back();
  EXPECT_EQ(BuildSesSendEmail(many, SesConfig()).content, SesContent::kSimple);
}

TEST(SesRequest, TemplateConfigurationSetAndTagsMergeConfigAndRequest) {
  SesConfig config;
  config.configuration_set = "default-set";
  config.tags = {{"campaign", "default"}, {"source", "storeflow"}};
  PreparedEmail prepared = Message();
  prepared.ses =
      ParseSesRequest({{"ses_template", {{"name", "OrderShipped"}, {"data", {{"id", 7}}}}},
                       {"configuration_set", "shipping"},
                       {"tags", {{"campaign", "spring"}, {"kind", "ship"}}}});
  SesSendEmail request = BuildSesSendEmail(prepared, config);
  EXPECT_EQ(request.content, SesContent::kTemplate);
  EXPECT_EQ(request.body["Content"]["Template"]["TemplateName"], "OrderShipped");
  EXPECT_EQ(request.body["Content"]["Template"]["TemplateData"], R"({"id":7})");
  EXPECT_EQ(request.body["ConfigurationSetName"], "shipping");
  EXPECT_EQ(request.body["EmailTags"], Json::parse(R"([{"Name":"campaign","Value":"spring"},
                                                      {"Name":"kind","Value":"ship"},
                                                      {"Name":"source","Value":"storeflow"}])"));
  // Without a request value the config's applies.
  PreparedEmail plain = Message();
  SesSendEmail defaults = BuildSesSendEmail(plain, config);
  EXPECT_EQ(defaults.body["ConfigurationSetName"], "default-set");
  EXPECT_EQ(defaults.body["EmailTags"].size(), 2u);
}

TEST(SesRequest, BadSesInputsNameTheField) {
  auto code_and_message = [](const Json& input) -> std::pair<std::string, std::string> {
    try {
      ParseSesRequest(input);
    } catch (const sdk::Error& e) {
      return {e.code(), e.what()};
    }
    return {"", ""};
  };
  auto [code, message] = code_and_message({{"tags", {{"campaign", "spring sale"}}}});
  EXPECT_EQ(code, "invalid_input");
  EXPECT_NE(message.find("`tags.campaign`"), std::string::npos) << message;
  EXPECT_NE(code_and_message({{"tags", {{"x", 1}}}}).second.find("`tags.x` must be a string"),
            std::string::npos);
  EXPECT_NE(
      code_and_message({{"ses_template", {{"name", "a/b"}}}}).second.find("`ses_template.name`"),
      std::string::npos);
  EXPECT_NE(code_and_message({{"ses_template", {{"name", "a"}, {"data", "x"}}}})
                .second.find("`ses_template.data` must be an object"),
            std::string::npos);
  EXPECT_NE(
      code_and_message({{"configuration_set", "has space"}}).second.find("`configuration_set`"),
      std::string::npos);
}

TEST(SesRequest, ConfigSectionIsReadAndChecked) {
  EmailConfig config = ParseEmailConfig(
      {{"transport", "ses"},
       {"ses",
        {{"region", "eu-west-1"},
         {"endpoint", "http://127.0.0.1:4566/"},
         {"credentials", {{"access_key_id_secret", "K"}, {"secret_access_key_secret", "S"}}},
         {"configuration_set", "tx"},
         {"tags", {{"b", "2"}, {"a", "1"}}},
         {"timeout_ms", 3000}}}});
  EXPECT_EQ(config.transport, EmailConfig::Transport::kSes);
  EXPECT_STREQ(TransportName(config.transport), "ses");
  EXPECT_EQ(config.ses.region, "eu-west-1");
  EXPECT_EQ(config.ses.endpoint, "http://127.0.0.1:4566");
  EXPECT_EQ(config.ses.credentials.access_key_id, "K");
  EXPECT_EQ(config.ses.credentials.secret_access_key, "S");
  EXPECT_EQ(config.ses.configuration_set, "tx");
  EXPECT_EQ(config.ses.tags,
            (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(config.ses.timeout_ms, 3000);
  auto invalid = [](const Json& ses) -> std::string {
    try {
      ParseEmailConfig({{"transport", "ses"}, {"ses", ses}});
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), "invalid_config");
      return e.what();
    }
    return "";
  };
  EXPECT_NE(invalid({{"region", "EU WEST"}}).find("`ses.region`"), std::string::npos);
  EXPECT_NE(invalid({{"credentials", {{"access_key_id_secret", "K"}}}}).find("`ses.credentials`"),
            std::string::npos);
  EXPECT_NE(invalid({{"configuration_set", "a b"}}).find("`ses.configuration_set`"),
            std::string::npos);
  EXPECT_NE(invalid({{"timeout_ms", 0}}).find("`ses.timeout_ms`"), std::string::npos);
}

TEST(SesErrors, ThrottlingServerErrorsAndNetworkAreRetryable) {
  MimeMessage m = Message().message;
  sdk::Error throttled = SesStepError(
      aws::ParseAwsError(429, {{"x-amzn-ErrorType", "TooManyRequestsException:http://x/"}},
                         R"({"message":"Maximum sending rate exceeded."})"),
      m);
  EXPECT_EQ(throttled.kind(), STOREFLOW_ERROR_RETRYABLE);
  EXPECT_EQ(throttled.code(), "ses_throttled");
  EXPECT_NE(std::string(throttled.what()).find("TooManyRequestsException (HTTP 429)"),
            std::string::npos)
      << throttled.what();
  sdk::Error server = SesStepError(aws::ParseAwsError(503, {}, "<html>busy</html>"), m);
  EXPECT_EQ(server.kind(), STOREFLOW_ERROR_RETRYABLE);
  EXPECT_EQ(server.code(), "ses_unavailable");
  sdk::Error network = SesStepError(aws::NetworkError("connection refused"), m);
  EXPECT_EQ(network.kind(), STOREFLOW_ERROR_RETRYABLE);
  EXPECT_EQ(network.code(), "ses_network");
}

TEST(SesErrors, RejectionsAndAccessErrorsArePermanentAndNameTheField) {
  MimeMessage m = Message().message;
  auto error = [&m](int status, const std::string& type, const std::string& message) {
    return SesStepError(aws::ParseAwsError(status, {{"x-amzn-ErrorType", type + ":http://x/"}},
                                           Json{{"message", message}}.dump()),
                        m);
  };
  sdk::Error rejected = error(400, "MessageRejected",
                              "Email address is not verified. The following identities failed "
                              "the check in region EU-WEST-1: shop@example.com");
  EXPECT_EQ(rejected.kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_EQ(rejected.code(), "ses_message_rejected");
  EXPECT_NE(std::string(rejected.what()).find("(check `from`)"), std::string::npos)
      << rejected.what();
  sdk::Error recipient = error(400, "MessageRejected", "Address blacklisted: <cc@example.com>");
  EXPECT_NE(std::string(recipient.what()).find("(check `cc`)"), std::string::npos);
  sdk::Error tags = error(400, "BadRequestException",
                          "1 validation error detected: Value at 'emailTags.1.member.name' "
                          "failed to satisfy constraint");
  EXPECT_EQ(tags.code(), "ses_invalid_request");
  EXPECT_NE(std::string(tags.what()).find("(check `tags`)"), std::string::npos) << tags.what();
  sdk::Error set = error(404, "NotFoundException", "Configuration set <shipping> does not exist.");
  EXPECT_EQ(set.code(), "ses_not_found");
  EXPECT_NE(std::string(set.what()).find("`configuration_set`"), std::string::npos);
  EXPECT_EQ(error(400, "AccountSuspendedException", "suspended").code(), "ses_account_suspended");
  EXPECT_EQ(error(400, "SendingPausedException", "paused").code(), "ses_sending_paused");
  EXPECT_EQ(error(400, "MailFromDomainNotVerifiedException", "x").code(), "ses_not_verified");
  sdk::Error denied = error(403, "AccessDeniedException", "not authorized to ses:SendEmail");
  EXPECT_EQ(denied.kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_EQ(denied.code(), "ses_access_denied");
  EXPECT_EQ(error(403, "InvalidSignatureException", "bad signature").code(), "ses_access_denied");
  aws::AwsError credentials;
  credentials.code = "credentials";
  credentials.message = "AWS_ACCESS_KEY_ID is not set";
  EXPECT_EQ(SesStepError(credentials, m).code(), "ses_credentials");
  EXPECT_EQ(SesStepError(credentials, m).kind(), STOREFLOW_ERROR_PERMANENT);
}

}  // namespace
}  // namespace storeflow::plugins::email
