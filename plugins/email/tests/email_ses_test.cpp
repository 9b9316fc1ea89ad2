// email.send with the ses transport against the real aws-ses-v2-local peer
// (SES_ENDPOINT; skipped with a message when unset): simple content, raw MIME with
// an attachment, an SES stored template, credentials from secrets and from the
// environment, and errors (a template SES does not have, an unreachable endpoint).
// Each test reads back what the peer stored, found by its own recipients.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "base64.h"
#include "email_host.h"
#include "mime_reader.h"
#include "ses_peer.h"
#include "smtp_peer.h"

namespace storeflow::plugins::email {
namespace {

using testing::DecodeHeader;
using testing::EmailHost;
using testing::Json;
using testing::LoadEmail;
using testing::Reply;
using testing::SesEmailsTo;
using testing::SesEnv;
using testing::UniqueTag;

constexpr const char* kSecretKey = "ses-test-secret-do-not-log";

// A stored body without the line ending a MIME parser may keep or drop.
std::string Trimmed(const Json& text) {
  std::string out = text.is_string() ? text.get<std::string>() : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class EmailSesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOREFLOW_REQUIRE_SES_PEER();
    tag_ = UniqueTag(::testing::UnitTest::GetInstance()->current_test_info()->name());
    secrets_ = {{"ses_key_id", SesEnv("SES_ACCESS_KEY_ID")}, {"ses_secret", kSecretKey}};
  }

  Json Config(Json ses_extra = Json::object()) const {
    Json ses = {
        {"region", SesEnv("SES_REGION")},
        {"endpoint", SesEnv("SES_ENDPOINT")},
        {"credentials",
         {{"access_key_id_secret", "ses_key_id"}, {"secret_access_key_secret", "ses_secret"}}},
        {"timeout_ms", 5000}};
    ses.update(ses_extra);
    return Json{{"transport", "ses"}, {"from", "Shop <shop@example.com>"}, {"ses", ses}};
  }

  // The plugin with `config` and the fixture's secrets; null when it did not
  // start (`init` says why).
  EmailHost* Start(const Json& config, Reply* init = nullptr) {
    auto host = LoadEmail(config, secrets_);
    if (init != nullptr) *init = host->init_error();
    EXPECT_TRUE(host->loaded() || init != nullptr) << host->error();
    if (!host->loaded()) return nullptr;
    hosts_.push_back(std::move(host));
    return hosts_.back().get();
  }

  Reply Send(EmailHost& instance, const Json& input) {
    return testing::SendEmail(instance, input, "run/" + tag_);
  }

  std::string Addr(const std::string& who) const { return who + "-" + tag_ + "@example.test"; }

  void ExpectNoSecretInLogs() const {
    for (const auto& host : hosts_) testing::ExpectNotLogged(*host, kSecretKey);
  }

  std::string tag_;
  testing::Secrets secrets_;
  std::vector<std::unique_ptr<EmailHost>> hosts_;
};

TEST_F(EmailSesTest, SendsSimpleContentWithHeadersAndReadsItBack) {
  auto email = Start(Config({{"configuration_set", "storeflow-tests"},
                             {"tags", {{"source", "storeflow"}, {"campaign", "default"}}}}));
  ASSERT_TRUE(email);
  const std::string subject = "Bestellung " + tag_ + " bestätigt ✓";
  Reply reply = Send(*email, {{"to", "Zoë <" + Addr("to") + ">"},
                              {"cc", Json::array({Addr("cc")})},
                              {"bcc", Addr("bcc")},
                              {"reply_to", "help@example.com"},
                              {"subject", subject},
                              {"text", "Grüße, your order is confirmed."},
                              {"html", "<p>Grüße</p>"},
                              {"headers", {{"X-Campaign", "spring"}}},
                              {"tags", {{"campaign", "spring"}}}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["transport"], "ses");
  EXPECT_EQ(reply.output["content"], "simple");
  EXPECT_EQ(reply.output["accepted"], Json::array({Addr("to"), Addr("cc"), Addr("bcc")}));

  Json stored = SesEmailsTo(Addr("to"));
  ASSERT_EQ(stored.size(), 1u) << stored.dump();
  const Json& got = stored[0];
  EXPECT_EQ(got["messageId"], reply.output["message_id"]) << "the output carries SES's MessageId";
  EXPECT_EQ(got["from"], "Shop <shop@example.com>");
  ASSERT_EQ(got["destination"]["to"].size(), 1u);
  EXPECT_EQ(DecodeHeader(got["destination"]["to"][0].get<std::string>()),
            "Zoë <" + Addr("to") + ">");
  EXPECT_EQ(got["destination"]["cc"], Json::array({Addr("cc")}));
  EXPECT_EQ(got["destination"]["bcc"], Json::array({Addr("bcc")}));
  EXPECT_EQ(got["replyTo"], Json::array({"help@example.com"}));
  EXPECT_EQ(got["subject"], subject);
  EXPECT_EQ(got["body"]["text"], "Grüße, your order is confirmed.");
  EXPECT_EQ(got["body"]["html"], "<p>Grüße</p>");
  Json headers = Json::object();
  for (const Json& h : got.value("headers", Json::array())) headers[h["name"]] = h["value"];
  EXPECT_EQ(headers.value("X-Campaign", ""), "spring") << got.dump();
  EXPECT_EQ(headers.value("X-Storeflow-Idempotency-Key", ""), "run/" + tag_);
  EXPECT_EQ(email->Counter("messages_sent", Json{{"transport", "ses"}}), 1);
  ExpectNoSecretInLogs();
}

TEST_F(EmailSesTest, SendsRawMimeWhenThereIsAnAttachment) {
  auto email = Start(Config());
  ASSERT_TRUE(email);
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary.push_back(static_cast<char>((i * 31) % 256));
  Reply reply =
      Send(*email,
           {{"to", Addr("to")},
            {"cc", Addr("cc")},
            {"bcc", Addr("bcc")},
            {"subject", "Invoice " + tag_},
            {"text", "See the attached invoice."},
            {"html", "<p>See the <b>attached</b> invoice.</p>"},
            {"attachments",
             {{{"content_base64", storage::Base64Encode(binary)}, {"filename", "invoice.pdf"}}}}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["content"], "raw");
  EXPECT_EQ(reply.output["accepted"], Json::array({Addr("to"), Addr("cc"), Addr("bcc")}));

  Json stored = SesEmailsTo(Addr("to"));
  ASSERT_EQ(stored.size(), 1u) << stored.dump();
  const Json& got = stored[0];
  EXPECT_EQ(got["messageId"], reply.output["message_id"]);
  EXPECT_EQ(got["subject"], "Invoice " + tag_);
  EXPECT_EQ(got["from"], "\"Shop\" <shop@example.com>");  // as the peer's MIME parser writes it
  EXPECT_EQ(got["destination"]["cc"], Json::array({Addr("cc")}));
  EXPECT_EQ(got["destination"]["bcc"], Json::array()) << "no Bcc header in the raw message";
  EXPECT_EQ(Trimmed(got["body"]["text"]), "See the attached invoice.");
  EXPECT_EQ(Trimmed(got["body"]["html"]), "<p>See the <b>attached</b> invoice.</p>");
  ASSERT_EQ(got["attachments"].size(), 1u) << got.dump();
  const Json& attachment = got["attachments"][0];
  EXPECT_EQ(attachment["filename"], "invoice.pdf");
  EXPECT_EQ(attachment["contentType"], "application/pdf");
  auto decoded = storage::Base64Decode(attachment["content"].get<std::string>());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, binary);
  ExpectNoSecretInLogs();
}

TEST_F(EmailSesTest, SendsRawMimeForAHeaderSimpleContentCannotCarry) {
  auto email = Start(Config());
  ASSERT_TRUE(email);
  Reply reply = Send(*email, {{"to", Addr("to")},
                              {"subject", "Header " + tag_},
                              {"text", "body"},
                              {"headers", {{"X-Note", "für Sie"}}}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["content"], "raw");
  Json stored = SesEmailsTo(Addr("to"));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["subject"], "Header " + tag_);
  EXPECT_EQ(Trimmed(stored[0]["body"]["text"]), "body");
}

TEST_F(EmailSesTest, SendsWithAnSesStoredTemplate) {
  std::string name = "sf-" + tag_ + "-" + std::to_string(std::random_device()() % 100000);
  Json created = testing::CreateSesTemplate(name, "Order {{order.id}} shipped",
                                            "Hi {{name}}, order {{order.id}} is on its way.",
                                            "<p>Hi {{name}}</p>");
  ASSERT_FALSE(created.contains("__status")) << created.dump();
  ASSERT_TRUE(testing::SesTemplates().contains(name));

  auto email = Start(Config());
  ASSERT_TRUE(email);
  Reply reply = Send(
      *email,
      {{"to", Addr("to")},
       {"ses_template", {{"name", name}, {"data", {{"name", "Ada"}, {"order", {{"id", 1001}}}}}}},
       {"headers", {{"X-Campaign", "shipping"}}},
       {"configuration_set", "shipping"},
       {"tags", {{"kind", "shipping"}}}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["content"], "template");

  Json stored = SesEmailsTo(Addr("to"));
  ASSERT_EQ(stored.size(), 1u) << stored.dump();
  const Json& got = stored[0];
  EXPECT_EQ(got["messageId"], reply.output["message_id"]);
  EXPECT_EQ(got["from"], "Shop <shop@example.com>");
  EXPECT_EQ(got["subject"], "Order 1001 shipped");
  EXPECT_EQ(got["body"]["text"], "Hi Ada, order 1001 is on its way.");
  EXPECT_EQ(got["body"]["html"], "<p>Hi Ada</p>");
  Json headers = Json::object();
  for (const Json& h : got.value("headers", Json::array())) headers[h["name"]] = h["value"];
  EXPECT_EQ(headers.value("X-Campaign", ""), "shipping");
}

TEST_F(EmailSesTest, ATemplateSesDoesNotHaveIsPermanentAndNamesTheField) {
  auto email = Start(Config());
  ASSERT_TRUE(email);
  Reply reply =
      Send(*email, {{"to", Addr("to")}, {"ses_template", {{"name", "sf-missing-" + tag_}}}});
  ASSERT_TRUE(reply.permanent()) << reply;
  EXPECT_EQ(reply.code, "ses_not_found");
  EXPECT_NE(reply.message.find("NotFoundException (HTTP 404)"), std::string::npos) << reply.message;
  EXPECT_NE(reply.message.find("`ses_template.name`"), std::string::npos) << reply.message;
  EXPECT_EQ(SesEmailsTo(Addr("to")).size(), 0u);
  EXPECT_EQ(
      email->Counter("messages_failed", Json{{"transport", "ses"}, {"code", "ses_not_found"}}), 1);
}

TEST_F(EmailSesTest, AnUnreachableEndpointIsRetryable) {
  std::uint16_t port = 0;
  {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = socket.address().port();
  }  // closed: nothing listens there now
  auto email = Start(Config({{"endpoint", "http://127.0.0.1:" + std::to_string(port)}}));
  ASSERT_TRUE(email);
  Reply reply = Send(*email, {{"to", Addr("to")}, {"subject", "s"}, {"text", "t"}});
  ASSERT_TRUE(reply.retryable) << reply;
  EXPECT_EQ(reply.code, "ses_network");
  EXPECT_NE(reply.message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << reply.message;
  ExpectNoSecretInLogs();
}

TEST_F(EmailSesTest, TakesCredentialsAndRegionFromTheEnvironment) {
  ScopedEnv id("AWS_ACCESS_KEY_ID", SesEnv("SES_ACCESS_KEY_ID").c_str());
  ScopedEnv key("AWS_SECRET_ACCESS_KEY", SesEnv("SES_SECRET_ACCESS_KEY").c_str());
  ScopedEnv token("AWS_SESSION_TOKEN", nullptr);
  ScopedEnv region("AWS_REGION", SesEnv("SES_REGION").c_str());
  auto email = Start({{"transport", "ses"},
                      {"from", "shop@example.com"},
                      {"ses", {{"endpoint", SesEnv("SES_ENDPOINT")}}}});
  ASSERT_TRUE(email);
  Reply reply = Send(*email, {{"to", Addr("to")}, {"subject", "Env " + tag_}, {"text", "t"}});
  ASSERT_TRUE(reply.ok) << reply;
  Json stored = SesEmailsTo(Addr("to"));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["subject"], "Env " + tag_);
}

TEST_F(EmailSesTest, RefusesBadConfigAndInputBeforeCallingSes) {
  {
    ScopedEnv region("AWS_REGION", nullptr);
    ScopedEnv fallback("AWS_DEFAULT_REGION", nullptr);
    Reply init;
    Json config = Config();
    config["ses"].erase("region");
    EXPECT_FALSE(Start(config, &init));
    EXPECT_EQ(init.code, "invalid_config");
    EXPECT_NE(init.message.find("ses.region"), std::string::npos) << init.message;
  }
  {
    Reply init;
    Json config = Config();
    config["ses"]["credentials"]["secret_access_key_secret"] = "nowhere";
    EXPECT_FALSE(Start(config, &init));
    EXPECT_EQ(init.code, "missing_secret");
    EXPECT_NE(init.message.find("`nowhere`"), std::string::npos) << init.message;
  }
  {
    Reply init;
    EXPECT_FALSE(Start(Config({{"tags", {{"team", "a b"}}}}), &init));
    EXPECT_EQ(init.code, "invalid_config");
    EXPECT_NE(init.message.find("`ses.tags.team`"), std::string::npos) << init.message;
  }
  auto email = Start(Config());
  ASSERT_TRUE(email);
  Reply tag = Send(
      *email, {{"to", Addr("to")}, {"subject", "s"}, {"text", "t"}, {"tags", {{"bad tag", "x"}}}});
  EXPECT_EQ(tag.code, "invalid_input");
  EXPECT_NE(tag.message.find("`tags.bad tag`"), std::string::npos) << tag.message;
  Reply mixed =
      Send(*email, {{"to", Addr("to")}, {"subject", "s"}, {"ses_template", {{"name", "x"}}}});
  EXPECT_EQ(mixed.code, "invalid_input");
  EXPECT_NE(mixed.message.find("`subject` cannot be combined with `ses_template`"),
            std::string::npos)
      << mixed.message;
  EXPECT_EQ(SesEmailsTo(Addr("to")).size(), 0u);
}

}  // namespace
}  // namespace storeflow::plugins::email
